// The policy watcher as two processes sharing one control plane: numbering, adoption at start (the newest of the
// fleet's document and the file wins), a bad document refused by every receiver, and an edit on disk applied
// everywhere. The store-backed numbering and audit run against PostgreSQL in tests/integration/policy-distributed.
import { cpSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory.ts';
import { LiveClock } from '../common/clock.ts';
import { createLogger } from '../common/logging.ts';
import { loadRegistry } from '../common/registry.ts';
import { PolicyDocumentsKey, Streams } from '../common/topics.ts';
import { instrumentId, strategyId, clientOrderId } from '../model/index.ts';
import { loadPolicyConfig, loadRiskConfig, RiskEngine } from '../risk/index.ts';
import { PgliteStore } from '../store/pglite.ts';
import type { PolicyVersionStore } from '../store/store.ts';
import { describePolicyChange, parsePolicyDocument, PolicyWatcher } from './policy-watch.ts';

const ROOT = join(import.meta.dirname, '..', '..');

interface Process {
  readonly dir: string;
  readonly risk: RiskEngine;
  readonly watcher: PolicyWatcher;
  readonly alerts: { code: string; message: string }[];
}

const started: PolicyWatcher[] = [];
afterEach(() => {
  for (const w of started.splice(0)) w.stop();
});

function configCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hf-policy-watch-'));
  cpSync(join(ROOT, 'configs'), dir, { recursive: true });
  return dir;
}

/** A process: its own config folder and risk engine, on the shared bus (the fleet's control plane). */
function processOn(bus: MemoryBus, dir = configCopy(), store?: PolicyVersionStore): Process {
  const clock = new LiveClock();
  const logger = createLogger('test', 'error');
  const risk = new RiskEngine({
    bus,
    clock,
    registry: loadRegistry(join(dir, 'registry.yaml')),
    risk: loadRiskConfig(join(dir, 'risk.yaml')),
    policy: loadPolicyConfig(join(dir, 'policy.yaml')),
    candleTimeframes: ['1m'],
    logger,
  });
  const alerts: Process['alerts'] = [];
  bus.subscribe(Streams.alerts, `alerts-${dir}`, (a) => {
    if (a.source === 'policy') alerts.push(a);
  });
  const watcher = new PolicyWatcher({ configDir: dir, risk, bus, clock, logger, debounceMs: 20, store });
  watcher.start();
  started.push(watcher);
  return { dir, risk, watcher, alerts };
}

const aaplOrder = (risk: RiskEngine) =>
  risk.check({
    type: 'submit_order',
    order: {
      clientOrderId: clientOrderId(`o-${Math.random()}`),
      strategyId: strategyId('sma-cross'),
      instrumentId: instrumentId('AAPL', 'SIM-A'),
      side: 'buy',
      type: 'limit',
      quantity: 1,
      price: 100,
      timeInForce: 'GTC',
      reduceOnly: false,
      tsInit: Date.now() * 1000,
    },
    tsInit: Date.now() * 1000,
  })?.reason;

const settle = () => new Promise((r) => setTimeout(r, 50));

async function eventually(predicate: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`not true within ${ms} ms`);
    await settle();
  }
}

describe('PolicyWatcher', () => {
  it('numbers the files at start, then applies a change made in one process in every other', async () => {
    const bus = new MemoryBus();
    const a = processOn(bus);
    await settle();
    expect(
      ['risk.yaml', 'policy.yaml'].map(
        (f) => parsePolicyDocument(f, bus.control.get(PolicyDocumentsKey, f))?.version,
      ),
    ).toEqual([1, 2]);
    const b = processOn(bus);
    await settle();
    // b found the fleet's documents, identical to its files: nothing announced, the same versions in force.
    expect(b.watcher.inForce()['policy.yaml'].version).toBe(2);
    expect(aaplOrder(b.risk)).toBeUndefined();

    // An edit on a's disk: validated, applied there, published, applied in b.
    const file = join(a.dir, 'policy.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('restrictedInstruments: []', 'restrictedInstruments: [AAPL]'),
    );
    await settle();
    await new Promise((r) => setTimeout(r, 100));
    for (const p of [a, b]) {
      expect(aaplOrder(p.risk)).toBe('RISK_RESTRICTED_INSTRUMENT');
      expect(p.watcher.inForce()['policy.yaml'].version).toBe(3);
      expect(p.alerts.at(-1)?.message).toMatch(
        /^policy\.yaml version 3 applied \(edit by file:\S+\) without a restart: restrictedInstruments: \[\] → \["AAPL"\]$/,
      );
    }
    expect((await b.watcher.history()).map((v) => `${v.version} ${v.cause}`)).toEqual([
      '1 start',
      '2 start',
      '3 edit',
    ]);

    // Rolled back from b: both run version 2's content again, as version 4.
    const { version } = await b.watcher.rollback(2, { actor: 'alice', via: 'token' });
    expect(version).toBe(4);
    await settle();
    for (const p of [a, b]) {
      expect(aaplOrder(p.risk)).toBeUndefined();
      expect(p.watcher.inForce()['policy.yaml'].version).toBe(4);
    }
  });

  it('refuses a bad document from the control plane in every receiver, and the running policy stays', async () => {
    const bus = new MemoryBus();
    const a = processOn(bus);
    await settle();
    await bus.control.set(PolicyDocumentsKey, 'policy.yaml', '{not json');
    const unknownKey = {
      version: 9,
      file: 'policy.yaml',
      content: 'restrictedInstruments: [AAPL]\nrestricted: [MSFT]\n',
      cause: 'set',
      actor: 'mallory',
      tsMs: Date.now(),
    };
    await bus.control.set(PolicyDocumentsKey, 'policy.yaml', JSON.stringify(unknownKey));
    const refusals = a.alerts.filter((x) => x.code === 'OPS_POLICY_INVALID').map((x) => x.message);
    expect(refusals).toHaveLength(2);
    expect(refusals[0]).toMatch(
      /policy\.yaml refused, the running policy stays: policy:documents policy\.yaml: not JSON/,
    );
    expect(refusals[1]).toMatch(
      /^policy\.yaml version 9 refused, the running policy stays: \S+policy\.yaml: Unrecognized key: "restricted"$/,
    );
    expect(aaplOrder(a.risk)).toBeUndefined();
    expect(a.watcher.inForce()['policy.yaml'].version).toBe(2);
  });

  it('at start adopts the fleet document over an older file, and publishes a file written after it', async () => {
    const bus = new MemoryBus();
    const a = processOn(bus);
    await settle();
    await a.watcher.rollback(2, { actor: 'x', via: 'cli' }); // nothing new: same content, still a version
    const restricted = readFileSync(join(a.dir, 'policy.yaml'), 'utf8').replace(
      'restrictedInstruments: []',
      'restrictedInstruments: [AAPL]',
    );
    writeFileSync(join(a.dir, 'policy.yaml'), restricted);
    await new Promise((r) => setTimeout(r, 150));
    expect(aaplOrder(a.risk)).toBe('RISK_RESTRICTED_INSTRUMENT');

    // A process whose file predates the fleet's document adopts the document.
    const staleDir = configCopy();
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(staleDir, 'policy.yaml'), past, past);
    const stale = processOn(bus, staleDir);
    await settle();
    expect(aaplOrder(stale.risk)).toBe('RISK_RESTRICTED_INSTRUMENT');

    // A process whose file was written after the document publishes its file to the fleet.
    const fresh = processOn(bus, configCopy());
    await settle();
    for (const p of [a, stale, fresh]) expect(aaplOrder(p.risk)).toBeUndefined();
    const doc = parsePolicyDocument('policy.yaml', bus.control.get(PolicyDocumentsKey, 'policy.yaml'));
    expect(doc?.cause).toBe('edit');
    expect(doc?.actor).toMatch(/^file:/);
  });

  it('with a version history, a file restored to an earlier version is adopted over, a new one published', async () => {
    const bus = new MemoryBus();
    const store = await PgliteStore.open();
    try {
      const a = processOn(bus, configCopy(), store);
      await eventually(async () => (await store.loadPolicyVersions()).length === 2);
      const original = readFileSync(join(a.dir, 'policy.yaml'), 'utf8');
      writeFileSync(
        join(a.dir, 'policy.yaml'),
        original.replace('restrictedInstruments: []', 'restrictedInstruments: [AAPL]'),
      );
      await eventually(async () => (await store.loadPolicyVersions()).length === 3);

      // A pod restarting on the old ConfigMap: its file is as new as the pod, but holds version 1's content.
      const stalePod = processOn(bus, configCopy(), store);
      await settle();
      await settle();
      expect(aaplOrder(stalePod.risk)).toBe('RISK_RESTRICTED_INSTRUMENT');
      expect(aaplOrder(a.risk)).toBe('RISK_RESTRICTED_INSTRUMENT');
      expect(await store.loadPolicyVersions()).toHaveLength(3);

      // A new ConfigMap (content never published): published as an edit, and every process runs it.
      const dir = configCopy();
      writeFileSync(
        join(dir, 'policy.yaml'),
        original.replace('restrictedInstruments: []', 'restrictedInstruments: [MSFT]'),
      );
      const newPod = processOn(bus, dir, store);
      await eventually(async () => (await store.loadPolicyVersions()).length === 4);
      await eventually(() => [a, stalePod, newPod].every((p) => aaplOrder(p.risk) === undefined));
      const doc = parsePolicyDocument('policy.yaml', bus.control.get(PolicyDocumentsKey, 'policy.yaml'));
      expect(doc).toMatchObject({ version: 4, cause: 'edit' });
      expect(doc?.content).toContain('restrictedInstruments: [MSFT]');
    } finally {
      for (const w of started.splice(0)) w.stop();
      await store.close();
    }
  });

  it('describes a change key by key', () => {
    expect(
      describePolicyChange('a: 1\nb: { c: 2, d: [x] }\n', 'a: 1\nb: { c: 3, d: [x, y] }\ne: true\n'),
    ).toBe('b.c: 2 → 3; b.d: ["x"] → ["x","y"]; e: (none) → true');
    expect(describePolicyChange('a: 1', 'a: 1 # same')).toBe('no value changed');
  });
});
