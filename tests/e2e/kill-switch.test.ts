// End to end through the real CLI: `hf run` trades on the embedded stack; `hf kill-switch on` from a second
// process cancels every open order on every venue within a second and new orders are denied with the
// kill-switch reason; `hf kill-switch off` lets trading resume.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { callChannel } from '../../src/services/control-channel.ts';
import type { KernelSummary } from '../../src/kernel/summary.ts';
import { runHf, spawnHf, tempHome, waitFor, type Spawned } from '../helpers.ts';

interface OrderRow {
  clientOrderId: string;
  status: string;
  venue: string | null;
  lastReason: string | null;
}

describe('hf run + hf kill-switch (end to end)', () => {
  const home = tempHome();
  const socket = join(home, 'control.sock');
  let run: Spawned | undefined;
  afterAll(async () => {
    if (run && run.child.exitCode === null) {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  it('halts trading from another process and cancels every open order', async () => {
    run = spawnHf([
      '--home',
      home,
      'run',
      '--duration',
      '120',
      '--no-api',
      '--no-ws',
      '--seed',
      '7',
      '--quiet',
    ]);
    const summary = () => callChannel<KernelSummary>(socket, 'GET', '/api/summary');
    // Fills arrive, and resting orders are open at more than one venue.
    const before = await waitFor(
      async () => {
        const s = await summary();
        if (s.fills === 0) return undefined;
        const open = await callChannel<OrderRow[]>(socket, 'GET', '/api/orders?status=open');
        return open.length > 0 ? { s, open } : undefined;
      },
      'fills and open orders',
      45_000,
    );
    expect(before.s.killSwitch).toBe(false);
    expect(before.open.length).toBeGreaterThan(0);

    const on = await runHf(['--home', home, 'kill-switch', 'on']);
    expect(on.code).toBe(0);
    expect(on.stdout).toContain('applied to the running process');
    const flippedAt = Date.now();

    // Nothing stays open, and the orders open at the switch were cancelled by it (strategies churn their own
    // orders, so which ones were open at that instant is read from the cancel reason, not a snapshot).
    await waitFor(
      async () => {
        const open = await callChannel<OrderRow[]>(socket, 'GET', '/api/orders?status=open');
        return open.length === 0 ? true : undefined;
      },
      'no open orders',
      5_000,
    );
    expect(Date.now() - flippedAt).toBeLessThan(1500);
    const closed = await callChannel<OrderRow[]>(socket, 'GET', '/api/orders?status=closed&limit=10000');
    const byKillSwitch = closed.filter((o) => o.lastReason === 'VENUE_KILL_SWITCH');
    expect(byKillSwitch.length).toBeGreaterThan(0);
    for (const o of byKillSwitch) expect(o.status).toBe('CANCELED');
    expect(new Set(byKillSwitch.map((o) => o.venue)).size).toBeGreaterThanOrEqual(1);

    // New orders are denied with the kill-switch reason.
    const halted = await waitFor(
      async () => {
        const s = await summary();
        return (s.denials.RISK_KILL_SWITCH ?? 0) > 0 ? s : undefined;
      },
      'a RISK_KILL_SWITCH denial',
      15_000,
    );
    expect(halted.killSwitch).toBe(true);
    expect(halted.tradingState).toBe('HALTED');
    const status = await runHf(['--home', home, 'kill-switch', 'status']);
    expect(status.stdout).toContain('ON');
    const openAfter = await callChannel<OrderRow[]>(socket, 'GET', '/api/orders?status=open');
    expect(openAfter).toHaveLength(0);

    // Release: trading resumes (new submissions are accepted again).
    const submittedAtRelease = (await summary()).orders.submitted;
    expect((await runHf(['--home', home, 'kill-switch', 'off'])).code).toBe(0);
    await waitFor(
      async () => {
        const s = await summary();
        return s.orders.submitted > submittedAtRelease && !s.killSwitch ? true : undefined;
      },
      'orders submitted after release',
      20_000,
    );

    run.child.kill('SIGTERM');
    const code = await run.exited;
    expect([0, 1]).toContain(code);
  });
});
