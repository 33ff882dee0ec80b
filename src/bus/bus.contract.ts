// The contract every Bus implementation passes (in-process now, Redis Streams later): one suite, many buses.
import { describe, expect, it } from 'vitest';
import type { Bus } from '../common/bus.ts';
import { ControlKeys, PolicyDocumentsKey, Streams } from '../common/topics.ts';
import type { Alert } from '../model/index.ts';

const alert = (n: number): Alert => ({
  type: 'alert',
  severity: 'info',
  code: 'TEST',
  source: 'contract',
  message: String(n),
  tsEvent: n,
});

/** Waits until `predicate` holds (buses that deliver asynchronously need it), at most `ms`. */
async function eventually(predicate: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function busContract(name: string, make: () => Promise<Bus>): void {
  describe(`Bus contract: ${name}`, () => {
    it('delivers every message to every group, in publish order', async () => {
      const bus = await make();
      const a: string[] = [];
      const b: string[] = [];
      bus.subscribe(Streams.alerts, 'group-a', (m) => void a.push(m.message));
      bus.subscribe(Streams.alerts, 'group-b', (m) => void b.push(m.message));
      for (let i = 0; i < 50; i++) bus.publish(Streams.alerts, alert(i));
      await bus.flush();
      await eventually(() => a.length === 50 && b.length === 50);
      const expected = Array.from({ length: 50 }, (_, i) => String(i));
      expect(a).toEqual(expected);
      expect(b).toEqual(expected);
      await bus.close();
    });

    it('shares messages between consumers of one group, each message once', async () => {
      const bus = await make();
      const seen: string[] = [];
      const first: string[] = [];
      const second: string[] = [];
      bus.subscribe(Streams.alerts, 'workers', (m) => void (first.push(m.message), seen.push(m.message)));
      bus.subscribe(Streams.alerts, 'workers', (m) => void (second.push(m.message), seen.push(m.message)));
      for (let i = 0; i < 40; i++) bus.publish(Streams.alerts, alert(i));
      await bus.flush();
      await eventually(() => seen.length === 40);
      expect(new Set(seen).size).toBe(40);
      expect(first.length).toBeGreaterThan(0);
      expect(second.length).toBeGreaterThan(0);
      await bus.close();
    });

    it('keeps streams apart', async () => {
      const bus = await make();
      const alerts: unknown[] = [];
      const candles: unknown[] = [];
      bus.subscribe(Streams.alerts, 'g', (m) => void alerts.push(m));
      bus.subscribe(Streams.candles('1m'), 'g', (m) => void candles.push(m));
      bus.publish(Streams.alerts, alert(1));
      await bus.flush();
      await eventually(() => alerts.length === 1);
      expect(candles).toHaveLength(0);
      await bus.close();
    });

    it('reports a failing handler without losing the messages behind it', async () => {
      const bus = await make();
      const errors: string[] = [];
      const got: string[] = [];
      bus.onError((error, stream, group) => void errors.push(`${stream}/${group}: ${String(error)}`));
      bus.subscribe(Streams.alerts, 'g', (m) => {
        if (m.message === '1') throw new Error('boom');
        got.push(m.message);
      });
      for (let i = 0; i < 3; i++) bus.publish(Streams.alerts, alert(i));
      await bus.flush();
      await eventually(() => got.length === 2 && errors.length >= 1);
      expect(got).toEqual(['0', '2']);
      expect(errors[0]).toContain('boom');
      await bus.close();
    });

    it('awaits asynchronous handlers in flush()', async () => {
      const bus = await make();
      let done = 0;
      bus.subscribe(Streams.alerts, 'g', async () => {
        await new Promise((r) => setTimeout(r, 10));
        done++;
      });
      bus.publish(Streams.alerts, alert(1));
      bus.publish(Streams.alerts, alert(2));
      await eventually(() => done === 2);
      await bus.flush();
      expect(done).toBe(2);
      await bus.close();
    });

    it('control plane: set, get, delete, and change notification', async () => {
      const bus = await make();
      const changes: string[] = [];
      bus.control.onChange(
        (key, field, value) => void changes.push(`${key}.${field}=${value ?? '<deleted>'}`),
      );
      await bus.control.set(ControlKeys.killSwitch, 'enabled', 'true');
      await eventually(() => bus.control.get(ControlKeys.killSwitch, 'enabled') === 'true');
      await bus.control.set(ControlKeys.routeOverride, 'SIM-A', 'SIM-B');
      await bus.control.delete(ControlKeys.routeOverride, 'SIM-A');
      await eventually(() => changes.length === 3);
      expect(changes).toEqual([
        'policy:kill_switch.enabled=true',
        'policy:route_override.SIM-A=SIM-B',
        'policy:route_override.SIM-A=<deleted>',
      ]);
      expect(bus.control.getAll(ControlKeys.routeOverride)).toEqual({});
      await bus.close();
    });

    it('control plane: a versioned document is set only over an older version (racing publishers)', async () => {
      const bus = await make();
      const doc = (version: number): string => JSON.stringify({ version, content: `v${version}` });
      expect(await bus.control.setVersioned(PolicyDocumentsKey, 'risk.yaml', doc(8), 8)).toBe(true);
      // The lower number arriving second does not replace the higher one; an equal one neither.
      expect(await bus.control.setVersioned(PolicyDocumentsKey, 'risk.yaml', doc(7), 7)).toBe(false);
      expect(await bus.control.setVersioned(PolicyDocumentsKey, 'risk.yaml', doc(8), 8)).toBe(false);
      expect(bus.control.get(PolicyDocumentsKey, 'risk.yaml')).toBe(doc(8));
      expect(await bus.control.setVersioned(PolicyDocumentsKey, 'risk.yaml', doc(9), 9)).toBe(true);
      await eventually(() => bus.control.get(PolicyDocumentsKey, 'risk.yaml') === doc(9));
      // Over a field that holds no versioned document, it sets.
      await bus.control.set(PolicyDocumentsKey, 'policy.yaml', 'not json');
      expect(await bus.control.setVersioned(PolicyDocumentsKey, 'policy.yaml', doc(1), 1)).toBe(true);
      await bus.close();
    });
  });
}
