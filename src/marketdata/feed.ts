// The synthetic market as a live feed: paced on a clock, each message stamped with the time it is
// published (tsInit), handed to a sink (the kernel in one process, the bus in the ingest service).

import type { Clock } from '../common/clock.ts';
import type { Registry } from '../common/registry.ts';
import type { MarketData } from '../model/index.ts';
import { SyntheticMarket } from './synthetic.ts';

export interface SyntheticFeedOptions {
  readonly registry: Registry;
  readonly clock: Clock;
  readonly seed: number;
  /** Approximate messages per second across all instruments. */
  readonly rate: number;
  readonly sink: (message: MarketData) => void;
  /** Pacing interval in milliseconds (default 5). */
  readonly intervalMs?: number;
}

export class SyntheticFeed {
  private readonly market: SyntheticMarket;
  private timer: NodeJS.Timeout | undefined;
  published = 0;

  constructor(private readonly options: SyntheticFeedOptions) {
    // A step quotes every instrument once, plus books and trades on some steps: about 1.5 messages each.
    const messagesPerStep = options.registry.instruments.size * 1.5;
    const stepMicros = Math.max(1000, Math.round((1_000_000 * messagesPerStep) / options.rate));
    this.market = new SyntheticMarket({
      registry: options.registry,
      seed: options.seed,
      startTime: options.clock.now(),
      stepMicros,
    });
  }

  start(): void {
    if (this.timer) return;
    const { clock, sink } = this.options;
    this.timer = setInterval(() => {
      const now = clock.now();
      let budget = 10_000;
      while (this.market.peekTime() <= now && budget-- > 0) {
        const m = this.market.next();
        sink({ ...m, tsInit: clock.now() });
        this.published++;
      }
    }, this.options.intervalMs ?? 5);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
