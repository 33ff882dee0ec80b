// Feed failover: per instrument a primary and a backup feed; the active one goes stale (silence, or an error
// report) → the instrument switches to the other with an alert; messages of the inactive feed are dropped.

import type { Clock } from '../common/clock.ts';
import { parseConfig } from '../common/config.ts';
import type { ReasonCode } from '../common/errors.ts';
import type { Alert, AlertSeverity, InstrumentId } from '../model/index.ts';
import { FailoverConfigSchema, type FailoverConfig, type FailoverConfigInput } from './config.ts';

const CONFIG_SOURCE = 'market data failover';
/** Numbers instances, so two failovers on one clock keep separate timers. */
let instances = 0;
const ALERT_SOURCE = 'marketdata';

export type FeedRole = 'primary' | 'backup';

/** A change of an instrument's active feed. */
export interface FeedSwitch {
  readonly instrumentId: InstrumentId;
  readonly from: string;
  readonly to: string;
  readonly toRole: FeedRole;
  /** Why: the stale or failed feed's problem, `command`, or `failback`. */
  readonly why: string;
  readonly tsEvent: number;
}

export interface FeedStatus {
  readonly instrumentId: InstrumentId;
  readonly active: FeedRole;
  readonly activeFeed: string;
  readonly primaryFeed: string;
  readonly backupFeed: string;
  /** Clock time of the feed's last message for the instrument; undefined before the first. */
  readonly primaryLastUpdate: number | undefined;
  readonly backupLastUpdate: number | undefined;
  readonly primaryStale: boolean;
  readonly backupStale: boolean;
  /** The problem that made the feed stale (silence or a reported error), while it is stale. */
  readonly primaryProblem: string | undefined;
  readonly backupProblem: string | undefined;
  /** Switched to the backup by command: auto failback does not apply. */
  readonly pinned: boolean;
  /** Messages of the inactive feed dropped for this instrument. */
  readonly dropped: number;
}

/** What `use` did. */
export type UseOutcome =
  'switched' | 'already-active' | 'unknown-instrument' | 'unknown-role' | 'target-stale';

export interface FeedFailoverOptions {
  readonly clock: Clock;
  readonly config?: FailoverConfigInput;
  /** Receives MD_FEED_FAILOVER, MD_FEED_FAILBACK, MD_FEEDS_DOWN and MD_STALE_FEED alerts. */
  readonly onAlert?: (alert: Alert) => void;
  /** Called after every switch (e.g. to drop ordering state and rebuild books from the new feed). */
  readonly onSwitch?: (change: FeedSwitch) => void;
}

class FeedHealth {
  lastUpdate: number | undefined = undefined;
  stale = false;
  problem: string | undefined = undefined;
  /** Since when the feed has been delivering without going stale. */
  healthySince: number;

  constructor(
    readonly name: string,
    now: number,
  ) {
    this.healthySince = now;
  }
}

class InstrumentFeeds {
  active: FeedRole = 'primary';
  readonly primary: FeedHealth;
  readonly backup: FeedHealth;
  /** MD_FEEDS_DOWN raised and not yet cleared by a recovery. */
  bothDownAlerted = false;
  /** Switched to the backup by command: auto failback leaves it there. */
  pinned = false;
  dropped = 0;

  constructor(
    readonly instrumentId: InstrumentId,
    primary: string,
    backup: string,
    now: number,
  ) {
    this.primary = new FeedHealth(primary, now);
    this.backup = new FeedHealth(backup, now);
  }

  health(role: FeedRole): FeedHealth {
    return role === 'primary' ? this.primary : this.backup;
  }
}

function other(role: FeedRole): FeedRole {
  return role === 'primary' ? 'backup' : 'primary';
}

/**
 * Staleness is checked on a clock timer every `checkIntervalMicros` (before a feed's first message, silence
 * counts from `start`). A stale feed is healthy again on its next message. When both feeds are stale the last
 * active one is kept (alert MD_FEEDS_DOWN) and the first to recover takes over. Back to the primary only by
 * `use(...)` or, with `failback: auto`, once the primary has been healthy for `failbackAfterMicros` (unless an
 * operator chose the backup).
 */
export class FeedFailover {
  readonly config: FailoverConfig;
  private readonly clock: Clock;
  private readonly instruments = new Map<string, InstrumentFeeds>();
  private readonly onAlert: ((alert: Alert) => void) | undefined;
  private readonly onSwitch: ((change: FeedSwitch) => void) | undefined;
  private running = false;
  private readonly timerName = `marketdata.failover.check#${++instances}`;
  private readonly onTimer = (): void => {
    this.check();
    if (this.running) this.arm();
  };
  /** Messages dropped from an inactive feed, and from a feed that is neither primary nor backup. */
  dropped = 0;
  unknownFeed = 0;
  /** Messages passed for instruments without a pair, and switches of active feed made. */
  unmanaged = 0;
  switches = 0;

  constructor(options: FeedFailoverOptions) {
    this.config = parseConfig(FailoverConfigSchema, options.config ?? {}, CONFIG_SOURCE);
    this.clock = options.clock;
    this.onAlert = options.onAlert;
    this.onSwitch = options.onSwitch;
    const now = this.clock.now();
    for (const [id, pair] of Object.entries(this.config.instruments))
      this.instruments.set(id, new InstrumentFeeds(id as InstrumentId, pair.primary, pair.backup, now));
  }

  /** Name of the instrument's active feed; undefined for an instrument without a pair. */
  activeFeed(instrumentId: string): string | undefined {
    const entry = this.instruments.get(instrumentId);
    return entry?.health(entry.active).name;
  }

  /** True when the instrument has a primary/backup pair. */
  manages(instrumentId: string): boolean {
    return this.instruments.has(instrumentId);
  }

  /** Starts the staleness timer; silence of a feed that has not spoken yet counts from now. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.clock.now();
    for (const entry of this.instruments.values()) {
      if (entry.primary.lastUpdate === undefined) entry.primary.healthySince = now;
      if (entry.backup.lastUpdate === undefined) entry.backup.healthySince = now;
    }
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.clock.cancelTimer(this.timerName);
  }

  /**
   * Records a message of `feed` for `instrumentId` (proof the feed is alive) and says whether to pass it on:
   * true for the active feed and for instruments without a pair, false (counted) otherwise.
   */
  accept(feed: string, instrumentId: string): boolean {
    const entry = this.instruments.get(instrumentId);
    if (!entry) {
      this.unmanaged++;
      return true;
    }
    let role: FeedRole;
    if (feed === entry.primary.name) role = 'primary';
    else if (feed === entry.backup.name) role = 'backup';
    else {
      this.unknownFeed++;
      return false;
    }
    const health = entry.health(role);
    const now = this.clock.now();
    health.lastUpdate = now;
    if (health.stale) this.recover(entry, role, now);
    if (entry.active === role) return true;
    entry.dropped++;
    this.dropped++;
    return false;
  }

  /**
   * A feed reports an error (disconnect, bad payload): it is stale for `instrumentId`, or for every instrument
   * it serves, until its next message. Returns how many instruments it affected.
   */
  reportError(feed: string, problem: string, instrumentId?: string): number {
    const now = this.clock.now();
    let affected = 0;
    for (const entry of this.instruments.values()) {
      if (instrumentId !== undefined && entry.instrumentId !== instrumentId) continue;
      const role =
        feed === entry.primary.name ? 'primary' : feed === entry.backup.name ? 'backup' : undefined;
      if (!role) continue;
      affected++;
      const health = entry.health(role);
      if (health.stale) health.problem = `error: ${problem}`;
      else this.markStale(entry, role, `error: ${problem}`, now);
    }
    return affected;
  }

  /**
   * Operator command: make `role` the active feed of the instrument. A stale feed is refused. Choosing the
   * backup holds against auto failback until the next switch.
   */
  use(instrumentId: string, role: FeedRole): UseOutcome {
    const entry = this.instruments.get(instrumentId);
    if (!entry) return 'unknown-instrument';
    if (role !== 'primary' && role !== 'backup') return 'unknown-role';
    if (entry.active === role) return 'already-active';
    if (entry.health(role).stale) return 'target-stale';
    this.switchTo(entry, role, 'command', this.clock.now());
    return 'switched';
  }

  /** Marks feeds silent for longer than `staleAfterMicros` stale, fails over, and fails back when due. */
  check(): void {
    const now = this.clock.now();
    const limit = this.config.staleAfterMicros;
    for (const entry of this.instruments.values()) {
      // Both flags first: two feeds that went silent together must not cause a switch to a dead one.
      const primaryExpired = this.expire(entry.primary, now, limit);
      const backupExpired = this.expire(entry.backup, now, limit);
      if (primaryExpired || backupExpired)
        this.onStale(
          entry,
          primaryExpired && backupExpired ? entry.active : primaryExpired ? 'primary' : 'backup',
          now,
        );
      if (
        this.config.failback === 'auto' &&
        entry.active === 'backup' &&
        !entry.pinned &&
        !entry.primary.stale &&
        entry.primary.lastUpdate !== undefined &&
        now - entry.primary.healthySince >= this.config.failbackAfterMicros
      )
        this.switchTo(entry, 'primary', 'failback', now);
    }
  }

  /** One row per instrument with a pair. */
  status(): FeedStatus[] {
    const out: FeedStatus[] = [];
    for (const entry of this.instruments.values()) {
      out.push({
        instrumentId: entry.instrumentId,
        active: entry.active,
        activeFeed: entry.health(entry.active).name,
        primaryFeed: entry.primary.name,
        backupFeed: entry.backup.name,
        primaryLastUpdate: entry.primary.lastUpdate,
        backupLastUpdate: entry.backup.lastUpdate,
        primaryStale: entry.primary.stale,
        backupStale: entry.backup.stale,
        primaryProblem: entry.primary.problem,
        backupProblem: entry.backup.problem,
        pinned: entry.pinned,
        dropped: entry.dropped,
      });
    }
    return out;
  }

  private arm(): void {
    this.clock.setTimer(this.timerName, this.clock.now() + this.config.checkIntervalMicros, this.onTimer);
  }

  /** Marks a healthy feed silent for longer than `limit` stale; true if it did. */
  private expire(health: FeedHealth, now: number, limit: number): boolean {
    if (health.stale) return false;
    const since = health.lastUpdate ?? health.healthySince;
    if (now - since <= limit) return false;
    health.stale = true;
    health.problem = `no update for ${now - since} µs`;
    return true;
  }

  private markStale(entry: InstrumentFeeds, role: FeedRole, problem: string, now: number): void {
    const health = entry.health(role);
    health.stale = true;
    health.problem = problem;
    this.onStale(entry, role, now);
  }

  /** Acts on `role` having just gone stale: fail over, or alert. */
  private onStale(entry: InstrumentFeeds, role: FeedRole, now: number): void {
    const health = entry.health(role);
    const problem = health.problem ?? 'stale';
    const otherRole = other(role);
    const otherStale = entry.health(otherRole).stale;
    if (role === entry.active && !otherStale) {
      this.switchTo(entry, otherRole, `${health.name} ${problem}`, now);
      return;
    }
    if (otherStale) {
      if (entry.bothDownAlerted) return;
      entry.bothDownAlerted = true;
      const active = entry.health(entry.active);
      this.alert(
        'critical',
        'MD_FEEDS_DOWN',
        `${entry.instrumentId}: ${entry.primary.name} and ${entry.backup.name} both stale ` +
          `(${health.name} ${problem}); keeping ${active.name}`,
        now,
      );
      return;
    }
    this.alert(
      'warning',
      'MD_STALE_FEED',
      `${entry.instrumentId}: inactive feed ${health.name} ${problem}; no backup until it recovers`,
      now,
    );
  }

  private recover(entry: InstrumentFeeds, role: FeedRole, now: number): void {
    const health = entry.health(role);
    health.stale = false;
    health.problem = undefined;
    health.healthySince = now;
    entry.bothDownAlerted = false;
    const active = entry.health(entry.active);
    if (entry.active !== role && active.stale)
      this.switchTo(
        entry,
        role,
        `${active.name} ${active.problem ?? 'stale'}; ${health.name} recovered`,
        now,
      );
  }

  private switchTo(entry: InstrumentFeeds, role: FeedRole, why: string, now: number): void {
    const from = entry.health(entry.active).name;
    const to = entry.health(role).name;
    entry.active = role;
    this.switches++;
    const command = why === 'command';
    // An operator's switch to the backup holds against auto failback; any other switch releases it.
    entry.pinned = command && role === 'backup';
    const failback = why === 'failback' || (command && role === 'primary');
    this.alert(
      command || failback ? 'info' : 'warning',
      failback ? 'MD_FEED_FAILBACK' : 'MD_FEED_FAILOVER',
      `${entry.instrumentId}: feed ${from} -> ${to} (${why})`,
      now,
    );
    this.onSwitch?.({ instrumentId: entry.instrumentId, from, to, toRole: role, why, tsEvent: now });
  }

  private alert(severity: AlertSeverity, code: ReasonCode, message: string, now: number): void {
    this.onAlert?.({ type: 'alert', severity, code, source: ALERT_SOURCE, message, tsEvent: now });
  }
}
