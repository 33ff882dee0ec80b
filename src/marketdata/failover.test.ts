// Feed failover: stale and error paths, manual and auto failback, both feeds down, commands and status.
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../common/clock.ts';
import type { Alert } from '../model/index.ts';
import type { FailoverConfigInput } from './config.ts';
import { FeedFailover, type FeedSwitch } from './failover.ts';

const ID = 'AAPL.X';
const OTHER = 'MSFT.X';

function setup(config: FailoverConfigInput = {}): {
  clock: SimulatedClock;
  failover: FeedFailover;
  alerts: Alert[];
  switches: FeedSwitch[];
  /** Both feeds send one message per instrument every `step` µs from now until `until`. */
  run: (until: number, feeds: readonly string[], step?: number) => void;
} {
  const clock = new SimulatedClock(0);
  const alerts: Alert[] = [];
  const switches: FeedSwitch[] = [];
  const failover = new FeedFailover({
    clock,
    config: {
      staleAfterMicros: 1000,
      checkIntervalMicros: 100,
      failbackAfterMicros: 5000,
      instruments: { [ID]: { primary: 'p', backup: 'b' }, [OTHER]: { primary: 'p', backup: 'b' } },
      ...config,
    },
    onAlert: (a) => alerts.push(a),
    onSwitch: (s) => switches.push(s),
  });
  failover.start();
  const run = (until: number, feeds: readonly string[], step = 50): void => {
    for (let t = clock.now() + step; t <= until; t += step) {
      clock.advanceTo(t);
      for (const feed of feeds) {
        failover.accept(feed, ID);
        failover.accept(feed, OTHER);
      }
    }
  };
  return { clock, failover, alerts, switches, run };
}

describe('FeedFailover', () => {
  it('passes the primary, drops the backup (counted), passes unlisted instruments, drops unknown feeds', () => {
    const { failover } = setup();
    expect(failover.accept('p', ID)).toBe(true);
    expect(failover.accept('b', ID)).toBe(false);
    expect(failover.accept('b', ID)).toBe(false);
    expect(failover.accept('x', ID)).toBe(false);
    expect(failover.accept('anything', 'TSLA.X')).toBe(true);
    expect(failover.dropped).toBe(2);
    expect(failover.unknownFeed).toBe(1);
    expect(failover.unmanaged).toBe(1);
    expect(failover.activeFeed(ID)).toBe('p');
    expect(failover.activeFeed('TSLA.X')).toBeUndefined();
    expect(failover.status().find((s) => s.instrumentId === ID)?.dropped).toBe(2);
  });

  it('fails over to the backup when the primary goes silent, with an alert naming instrument, from, to, why', () => {
    const { clock, failover, alerts, switches, run } = setup();
    run(2000, ['p', 'b']);
    expect(alerts).toEqual([]);
    // The primary stops at 2000; the backup keeps going.
    run(2900, ['b']);
    expect(failover.activeFeed(ID)).toBe('p');
    run(3200, ['b']);
    // Silent for more than 1000 µs, seen by the check at 3100.
    expect(failover.activeFeed(ID)).toBe('b');
    const failovers = alerts.filter((a) => a.code === 'MD_FEED_FAILOVER');
    expect(failovers).toHaveLength(2);
    expect(failovers[0]).toMatchObject({ severity: 'warning', source: 'marketdata', tsEvent: 3100 });
    expect(failovers[0]?.message).toBe('AAPL.X: feed p -> b (p no update for 1100 µs)');
    expect(switches[0]).toEqual({
      instrumentId: ID,
      from: 'p',
      to: 'b',
      toRole: 'backup',
      why: 'p no update for 1100 µs',
      tsEvent: 3100,
    });
    // Now the backup passes and the primary is dropped.
    expect(failover.accept('b', ID)).toBe(true);
    expect(clock.now()).toBe(3200);
    const row = failover.status().find((s) => s.instrumentId === ID);
    expect(row).toMatchObject({
      active: 'backup',
      activeFeed: 'b',
      primaryFeed: 'p',
      backupFeed: 'b',
      primaryLastUpdate: 2000,
      backupLastUpdate: 3200,
      primaryStale: true,
      backupStale: false,
      primaryProblem: 'no update for 1100 µs',
      pinned: false,
    });
  });

  it('fails over at once on an error report, for every instrument of the feed or only one', () => {
    const { failover, alerts, run } = setup();
    run(500, ['p', 'b']);
    expect(failover.reportError('p', 'socket closed', ID)).toBe(1);
    expect(failover.activeFeed(ID)).toBe('b');
    expect(failover.activeFeed(OTHER)).toBe('p');
    expect(alerts[0]?.message).toBe('AAPL.X: feed p -> b (p error: socket closed)');
    expect(failover.reportError('p', 'socket closed')).toBe(2);
    expect(failover.activeFeed(OTHER)).toBe('b');
    expect(failover.reportError('nobody', 'x')).toBe(0);
    expect(failover.status()[0]?.primaryProblem).toBe('error: socket closed');
  });

  it('manual failback: stays on the backup after the primary recovers, until the command', () => {
    const { failover, alerts, run } = setup({ failback: 'manual' });
    run(500, ['p', 'b']);
    failover.reportError('p', 'disconnected');
    // The primary comes back and stays healthy far longer than failbackAfterMicros.
    run(20_000, ['p', 'b']);
    expect(failover.activeFeed(ID)).toBe('b');
    expect(failover.status()[0]?.primaryStale).toBe(false);
    expect(failover.accept('p', ID)).toBe(false);
    expect(failover.use(ID, 'primary')).toBe('switched');
    expect(failover.activeFeed(ID)).toBe('p');
    expect(failover.accept('p', ID)).toBe(true);
    const back = alerts.at(-1);
    expect(back).toMatchObject({ code: 'MD_FEED_FAILBACK', severity: 'info' });
    expect(back?.message).toBe('AAPL.X: feed b -> p (command)');
    expect(failover.use(ID, 'primary')).toBe('already-active');
  });

  it('auto failback: back to the primary once it has been healthy for failbackAfterMicros', () => {
    const { failover, alerts, switches, run } = setup({ failback: 'auto' });
    run(500, ['p', 'b']);
    failover.reportError('p', 'disconnected');
    expect(failover.activeFeed(ID)).toBe('b');
    // Primary healthy again from 550 (its next message); 5000 µs later, at the first check after 5550.
    run(5500, ['p', 'b']);
    expect(failover.activeFeed(ID)).toBe('b');
    run(5700, ['p', 'b']);
    expect(failover.activeFeed(ID)).toBe('p');
    expect(switches.at(-1)).toMatchObject({ instrumentId: OTHER, to: 'p', why: 'failback', tsEvent: 5600 });
    expect(alerts.filter((a) => a.code === 'MD_FEED_FAILBACK')).toHaveLength(2);
  });

  it('auto failback waits for a primary that flaps: each stale spell restarts its healthy time', () => {
    const { clock, failover, run } = setup({ failback: 'auto' });
    run(500, ['p', 'b']);
    failover.reportError('p', 'disconnected');
    run(3000, ['p', 'b']);
    failover.reportError('p', 'disconnected again');
    // Healthy again from 3050: failback due at 8050, not 5550.
    run(6000, ['p', 'b']);
    expect(failover.activeFeed(ID)).toBe('b');
    run(8100, ['p', 'b']);
    expect(failover.activeFeed(ID)).toBe('p');
    expect(clock.now()).toBe(8100);
  });

  it('auto failback leaves an operator choice of the backup alone', () => {
    const { failover, run } = setup({ failback: 'auto' });
    run(500, ['p', 'b']);
    expect(failover.use(ID, 'backup')).toBe('switched');
    run(20_000, ['p', 'b']);
    expect(failover.activeFeed(ID)).toBe('b');
    expect(failover.status()[0]?.pinned).toBe(true);
    // A stale backup still fails over.
    run(22_000, ['p']);
    expect(failover.activeFeed(ID)).toBe('p');
    expect(failover.status()[0]?.pinned).toBe(false);
  });

  it('both stale: alerts once, keeps the last active, and switches to the first feed that recovers', () => {
    const { failover, alerts, run } = setup();
    run(500, ['p', 'b']);
    // Both silent from 500.
    run(2000, []);
    expect(failover.activeFeed(ID)).toBe('p');
    const down = alerts.filter((a) => a.code === 'MD_FEEDS_DOWN');
    expect(down).toHaveLength(2);
    expect(down[0]).toMatchObject({ severity: 'critical' });
    expect(down[0]?.message).toContain('AAPL.X: p and b both stale');
    expect(down[0]?.message).toContain('keeping p');
    run(4000, []);
    expect(alerts.filter((a) => a.code === 'MD_FEEDS_DOWN')).toHaveLength(2);
    // The backup comes back first: it takes over, and its first message passes.
    expect(failover.accept('b', ID)).toBe(true);
    expect(failover.activeFeed(ID)).toBe('b');
    expect(alerts.at(-1)?.message).toBe('AAPL.X: feed p -> b (p no update for 1100 µs; b recovered)');
    // The primary's return does not move it back (manual failback).
    expect(failover.accept('p', ID)).toBe(false);
    expect(failover.activeFeed(ID)).toBe('b');
  });

  it('warns when the inactive feed goes stale (no backup left)', () => {
    const { failover, alerts, run } = setup();
    run(3000, ['p']);
    expect(failover.activeFeed(ID)).toBe('p');
    const stale = alerts.filter((a) => a.code === 'MD_STALE_FEED');
    expect(stale).toHaveLength(2);
    expect(stale[0]).toMatchObject({ severity: 'warning' });
    expect(stale[0]?.message).toBe(
      'AAPL.X: inactive feed b no update for 1100 µs; no backup until it recovers',
    );
    expect(failover.status()[0]).toMatchObject({ backupStale: true, backupLastUpdate: undefined });
  });

  it('refuses commands it cannot carry out', () => {
    const { failover, run } = setup();
    expect(failover.use('TSLA.X', 'backup')).toBe('unknown-instrument');
    expect(failover.use(ID, 'spare' as never)).toBe('unknown-role');
    run(3000, ['p']);
    expect(failover.use(ID, 'backup')).toBe('target-stale');
    expect(failover.activeFeed(ID)).toBe('p');
  });

  it('stops checking after stop()', () => {
    const { clock, failover, run } = setup();
    run(500, ['p', 'b']);
    failover.stop();
    clock.advanceTo(100_000);
    expect(failover.activeFeed(ID)).toBe('p');
    expect(failover.status()[0]?.primaryStale).toBe(false);
  });

  it('keeps separate timers for two failovers on one clock', () => {
    const clock = new SimulatedClock(0);
    const config = {
      staleAfterMicros: 1000,
      checkIntervalMicros: 100,
      instruments: { [ID]: { primary: 'p', backup: 'b' } },
    };
    const first = new FeedFailover({ clock, config });
    const second = new FeedFailover({ clock, config });
    first.start();
    second.start();
    clock.advanceTo(1200);
    expect(first.activeFeed(ID)).toBe('p');
    expect(first.status()[0]?.primaryStale).toBe(true);
    expect(second.status()[0]?.primaryStale).toBe(true);
  });

  it('rejects a pair whose backup is its primary, naming the key', () => {
    const clock = new SimulatedClock(0);
    expect(
      () => new FeedFailover({ clock, config: { instruments: { [ID]: { primary: 'p', backup: 'p' } } } }),
    ).toThrow(/instruments\.AAPL\.X\.backup: must differ from primary/);
  });
});
