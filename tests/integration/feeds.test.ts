// Market-data sources declared in registry.yaml, running: a recorded tick file as AAPL's primary falls silent
// when it ends, ingest fails over to the synthetic backup with an alert; `feed:active` (what `hf feed use`
// sets) is obeyed when the target is healthy and refused while it is stale. Then the same through `hf run` and
// `hf feed status` / `hf feed use`.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/bus/memory.ts';
import { LiveClock } from '../../src/common/clock.ts';
import { parseRegistry } from '../../src/common/registry.ts';
import { ControlKeys, Streams } from '../../src/common/topics.ts';
import { FeedHub } from '../../src/kernel/feeds.ts';
import type { Alert, Tick } from '../../src/model/index.ts';
import { ROOT, runHf, spawnHf, tempHome, waitFor } from '../helpers.ts';
import { parse } from 'yaml';

const dir = mkdtempSync(join(tmpdir(), 'hf-feeds-'));

/** 20 trades of AAPL 50 ms apart: a second of data. */
function tickFile(): string {
  const path = join(dir, 'aapl-ticks.csv');
  const rows = ['Datetime,Price,Volume'];
  for (let i = 0; i < 20; i++)
    rows.push(`2024-01-02T14:30:00.${String(i * 50).padStart(3, '0')},${(100 + i * 0.01).toFixed(2)},10`);
  writeFileSync(path, rows.join('\n') + '\n');
  return path;
}

function registryWithFeeds(file: string): unknown {
  const base = parse(readFileSync(join(ROOT, 'configs', 'registry.yaml'), 'utf8')) as Record<string, unknown>;
  return {
    ...base,
    feeds: {
      sources: {
        'aapl-file': { kind: 'file', path: file, format: 'ticks-csv', instruments: ['AAPL.SIM-A'] },
        synthetic: { kind: 'synthetic', rate: 400 },
      },
      instruments: { 'AAPL.SIM-A': { primary: 'aapl-file', backup: 'synthetic' } },
      staleAfterMs: 400,
      priceBand: 0, // the synthetic market's AAPL is not at 100
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('market-data sources with failover', () => {
  it('fails over to the backup when the primary falls silent, and obeys feed:active only toward a healthy source', async () => {
    const registry = parseRegistry(registryWithFeeds(tickFile()));
    const bus = new MemoryBus();
    const hub = new FeedHub({ registry, bus, clock: new LiveClock(), seed: 3, rate: 400, configDir: dir });
    const ticks: Tick[] = [];
    const alerts: Alert[] = [];
    bus.subscribe(Streams.ticks, 'test', (t) => {
      if (t.instrumentId === 'AAPL.SIM-A') ticks.push(t);
    });
    bus.subscribe(Streams.alerts, 'test', (a) => void alerts.push(a));
    hub.start();
    try {
      await waitFor(async () => alerts.find((a) => a.code === 'MD_FEED_FAILOVER'), 'a failover alert', 5000);
      const status = hub.status().instruments.find((i) => i.instrumentId === 'AAPL.SIM-A')!;
      expect(status).toMatchObject({ active: 'backup', activeFeed: 'synthetic', primaryStale: true });
      // The file's 20 trades came first, then the synthetic backup's quotes.
      await waitFor(async () => ticks.find((t) => t.type === 'quote'), 'a quote from the backup', 5000);
      const firstQuote = ticks.findIndex((t) => t.type === 'quote');
      expect(ticks.slice(0, firstQuote).map((t) => t.type === 'trade' && t.price)).toEqual(
        Array.from({ length: 20 }, (_, i) => Number((100 + i * 0.01).toFixed(2))),
      );
      await sleep(200);
      expect(ticks.length).toBeGreaterThan(firstQuote + 5);
      // An operator asks for the primary: it is stale, so the backup stays.
      await bus.control.set(ControlKeys.feedActive, 'AAPL.SIM-A', 'primary');
      expect(hub.status().instruments[0]!.active).toBe('backup');
      expect(hub.status().sources['aapl-file']).toBe(20);
      // Instruments without a pair take any source: MSFT's synthetic quotes flow.
      expect(hub.status().stats.ticksPublished).toBeGreaterThan(ticks.length);
    } finally {
      hub.stop();
    }
  });

  it('hf feed status and hf feed use against a running hf run', async () => {
    const config = mkdtempSync(join(tmpdir(), 'hf-feeds-config-'));
    cpSync(join(ROOT, 'configs'), config, { recursive: true });
    const { stringify } = await import('yaml');
    writeFileSync(join(config, 'registry.yaml'), stringify(registryWithFeeds(tickFile())));
    const home = tempHome();
    const run = spawnHf([
      '--home',
      home,
      '--config',
      config,
      'run',
      '--duration',
      '120',
      '--no-api',
      '--no-ws',
      '--quiet',
    ]);
    try {
      const status = await waitFor(
        async () => {
          const r = await runHf(['--home', home, 'feed', 'status', '--json']);
          if (r.code !== 0) return undefined;
          const s = JSON.parse(r.stdout) as { instruments: { instrumentId: string; active: string }[] };
          return s.instruments[0]?.active === 'backup' ? s : undefined;
        },
        'AAPL on its backup source',
        45_000,
      );
      expect(status.instruments[0]!.instrumentId).toBe('AAPL.SIM-A');
      const text = await runHf(['--home', home, 'feed', 'status']);
      expect(text.stdout).toMatch(
        /AAPL\.SIM-A: backup \(synthetic\); primary aapl-file STALE, backup synthetic/,
      );
      const use = await runHf(['--home', home, 'feed', 'use', 'AAPL.SIM-A', 'primary']);
      expect(use.stdout).toContain('AAPL.SIM-A: use the primary source (applied to the running process)');
      const bad = await runHf(['--home', home, 'feed', 'use', 'AAPL.SIM-A', 'sideways']);
      expect(bad.code).toBe(2);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  }, 120_000);
});
