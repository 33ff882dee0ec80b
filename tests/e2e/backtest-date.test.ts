// The post-close commands by date on a day `hf run` recorded. `hf backtest --date`: the recording replayed
// through the kernel and compared with the live session order by order (unchanged data: the same decisions and
// fills; a recording whose prices were moved shows the drift). `hf reconcile --date`: the session's venues
// restored from their journals and reconciled with nothing running (clean, then a break once a venue record is
// removed). A day without data says so with exit code 1.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PgliteStore } from '../../src/store/pglite.ts';
import { runHf, tempHome } from '../helpers.ts';
import { readdirSync } from 'node:fs';

interface Drift {
  matched: number;
  liveOnly: number;
  replayOnly: number;
  fillQuantityMismatches: number;
  meanAbsPriceDriftBps: number | null;
  live: { orders: number; fills: number; cashFlow: number };
  replay: { orders: number; fills: number; cashFlow: number };
}

describe('hf backtest --date', () => {
  it('replays the recorded day and reports drift against the live session', async () => {
    const home = tempHome();
    const run = await runHf(['--home', home, 'run', '--duration', '5', '--no-api', '--no-ws', '--quiet']);
    expect(run.code).toBe(0);
    const date = new Date().toISOString().slice(0, 10);
    const same = await runHf(['--home', home, 'backtest', '--date', date, '--json']);
    expect(same.stderr).toBe('');
    const report = JSON.parse(same.stdout) as Drift;
    expect(report.live.orders).toBeGreaterThan(0);
    expect(report).toMatchObject({ liveOnly: 0, replayOnly: 0, fillQuantityMismatches: 0 });
    expect(report.matched).toBe(report.live.orders);
    expect(report.replay.cashFlow).toBe(report.live.cashFlow);
    expect(report.meanAbsPriceDriftBps).toBe(0);

    // Every recorded quote 1 % higher: the same strategies now trade at other prices, and the report shows it.
    const ticks = join(home, 'recordings', date, 'ticks.jsonl');
    const moved = readFileSync(ticks, 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const t = JSON.parse(line) as Record<string, number | string>;
        if (t.type === 'quote') {
          t.bid = Math.round((t.bid as number) * 101) / 100;
          t.ask = Math.round((t.ask as number) * 101) / 100;
        } else t.price = Math.round((t.price as number) * 101) / 100;
        return JSON.stringify(t);
      });
    writeFileSync(ticks, moved.join('\n') + '\n');
    const drifted = JSON.parse(
      (await runHf(['--home', home, 'backtest', '--date', date, '--json'])).stdout,
    ) as Drift;
    expect(drifted.replay.cashFlow).not.toBe(drifted.live.cashFlow);
    expect(
      drifted.meanAbsPriceDriftBps === null
        ? drifted.replayOnly + drifted.liveOnly
        : drifted.meanAbsPriceDriftBps,
    ).toBeGreaterThan(0);

    const empty = await runHf(['--home', home, 'backtest', '--date', '2001-01-02']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/no data for 2001-01-02/);
    const both = await runHf(['--home', home, 'backtest', '--date', date, '--data', 'x.csv']);
    expect(both.code).toBe(2);

    const clean = await runHf(['--home', home, 'reconcile', '--date', date]);
    expect(clean.stdout).toMatch(/no breaks/);
    expect(clean.code).toBe(0);
    // A venue forgets its last fill: the reconciliation of the day finds it, exit code 1.
    const session = join(home, 'sessions', readdirSync(join(home, 'sessions'))[0]!, 'pgdata');
    const store = await PgliteStore.open(session);
    await store.db.query(
      `DELETE FROM paper_venue_journal WHERE (venue, seq) IN
         (SELECT venue, seq FROM paper_venue_journal WHERE kind = 'fill' ORDER BY seq DESC LIMIT 1)`,
    );
    await store.close();
    const broken = await runHf(['--home', home, 'reconcile', '--date', date, '--json']);
    expect(broken.code).toBe(1);
    const recon = JSON.parse(broken.stdout) as { breaks: { code: string }[] };
    expect(recon.breaks.map((b) => b.code)).toContain('RECON_UNKNOWN_FILL');
    expect((await runHf(['--home', home, 'reconcile', '--date', '2001-01-02'])).code).toBe(1);
  });
});
