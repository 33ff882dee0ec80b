// The greeks publisher: prices every configured option whenever its underlying's price moves and publishes the
// price and greeks on greeks.live. An option that quotes on the bus is priced at its own implied volatility
// (from the mid) when one fits, else at its configured volatility.
//
// Boundary (group 'pricing'):
//   subscribes  ticks.live, books.live (config `books`)
//   publishes   greeks.live

import type { Bus, Subscription } from '../common/bus.ts';
import type { Clock } from '../common/clock.ts';
import { silentLogger, type Logger } from '../common/logging.ts';
import { Streams } from '../common/topics.ts';
import type { BookSnapshot, InstrumentId, OptionGreeks, Tick } from '../model/index.ts';
import type { GreeksConfig, OptionSpec } from './config.ts';
import { ImpliedVolatilityError } from './errors.ts';
import { impliedVolatility } from './implied-volatility.ts';
import { evaluateGreeks } from './models.ts';
import { emptyGreeks, type OptionType, type PricingModel } from './types.ts';

export interface GreeksEngineOptions {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly config: GreeksConfig;
  readonly logger?: Logger;
}

/** Why an underlying move published nothing for an option. */
export type GreeksSkipReason = 'expired' | 'invalid-underlying-price' | 'unchanged' | 'pricing-error';
/** Why an option quote's implied volatility was not used (the configured volatility was). */
export type VolatilityFallbackReason =
  'stale-quote' | 'below-intrinsic' | 'above-upper-bound' | 'no-convergence';

export interface GreeksEngineSnapshot {
  readonly options: number;
  readonly underlyings: number;
  readonly published: number;
  /** Publications priced at the option's own implied volatility. */
  readonly impliedVolatilityUsed: number;
  readonly skipped: Readonly<Partial<Record<GreeksSkipReason, number>>>;
  readonly volatilityFallbacks: Readonly<Partial<Record<VolatilityFallbackReason, number>>>;
}

/** One configured option, with its latest usable quote. */
interface OptionSlot {
  readonly spec: OptionSpec;
  readonly instrumentId: InstrumentId;
  readonly underlyingId: InstrumentId;
  readonly type: OptionType;
  readonly isCall: boolean;
  readonly model: PricingModel;
  /** Mid of the option's last two-sided quote; NaN when it has none. */
  quoteMid: number;
  quoteTime: number;
  last: OptionGreeks | undefined;
}

interface UnderlyingSlot {
  readonly options: OptionSlot[];
  lastPrice: number;
}

/** Mid of a two-sided market; one side when the other is missing; NaN when neither is usable. */
function midOf(bid: number | undefined, ask: number | undefined): number {
  const hasBid = bid !== undefined && bid > 0;
  const hasAsk = ask !== undefined && ask > 0;
  if (hasBid && hasAsk) return (bid + ask) / 2;
  if (hasBid) return bid;
  if (hasAsk) return ask;
  return Number.NaN;
}

export class GreeksEngine {
  private readonly bus: Bus;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private currentConfig: GreeksConfig;

  /** The options and settings in force. */
  get config(): GreeksConfig {
    return this.currentConfig;
  }
  private microsPerYear = 0;
  private optionsById = new Map<string, OptionSlot>();
  private underlyingsById = new Map<string, UnderlyingSlot>();
  private readonly subscriptions: Subscription[] = [];
  private started = false;

  /** Reused for every option: the engine allocates only the published message. */
  private readonly greeks = emptyGreeks();
  private readonly parameters = {
    type: 'call' as OptionType,
    spot: 0,
    strike: 0,
    time: 0,
    rate: 0,
    dividendYield: 0,
    volatility: 0,
  };

  private published = 0;
  private impliedVolatilityUsed = 0;
  private readonly skipped: Partial<Record<GreeksSkipReason, number>> = {};
  private readonly volatilityFallbacks: Partial<Record<VolatilityFallbackReason, number>> = {};
  private readonly warned = new Set<string>();

  constructor(options: GreeksEngineOptions) {
    this.bus = options.bus;
    this.clock = options.clock;
    this.logger = options.logger ?? silentLogger;
    this.currentConfig = options.config;
    this.applyConfig(options.config);
  }

  // ---- lifecycle ----

  start(): void {
    if (this.started) return;
    this.started = true;
    this.subscriptions.push(this.bus.subscribe(Streams.ticks, 'pricing', this.onTick));
    if (this.currentConfig.books)
      this.subscriptions.push(this.bus.subscribe(Streams.books, 'pricing', this.onBook));
    this.logger.info('greeks engine started', {
      options: this.optionsById.size,
      underlyings: this.underlyingsById.size,
    });
  }

  stop(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions.length = 0;
    this.started = false;
  }

  /** Replaces the option list (hot reload). Quotes seen so far are kept for options that stay. */
  updateConfig(config: GreeksConfig): void {
    const wasStarted = this.started;
    const booksChanged = config.books !== this.currentConfig.books;
    if (wasStarted && booksChanged) this.stop();
    const previous = this.optionsById;
    this.currentConfig = config;
    this.applyConfig(config);
    for (const [id, slot] of this.optionsById) {
      const old = previous.get(id);
      if (old) {
        slot.quoteMid = old.quoteMid;
        slot.quoteTime = old.quoteTime;
      }
    }
    if (wasStarted && booksChanged) this.start();
  }

  private applyConfig(config: GreeksConfig): void {
    this.microsPerYear = config.secondsPerYear * 1_000_000;
    const options = new Map<string, OptionSlot>();
    const underlyings = new Map<string, UnderlyingSlot>();
    for (const spec of config.options) {
      const slot: OptionSlot = {
        spec,
        instrumentId: spec.instrumentId as InstrumentId,
        underlyingId: spec.underlyingId as InstrumentId,
        type: spec.type,
        isCall: spec.type === 'call',
        model: spec.model,
        quoteMid: Number.NaN,
        quoteTime: 0,
        last: undefined,
      };
      options.set(spec.instrumentId, slot);
      let underlying = underlyings.get(spec.underlyingId);
      if (!underlying) {
        underlying = { options: [], lastPrice: Number.NaN };
        underlyings.set(spec.underlyingId, underlying);
      }
      underlying.options.push(slot);
    }
    this.optionsById = options;
    this.underlyingsById = underlyings;
  }

  // ---- inputs ----

  private readonly onTick = (tick: Tick): void => {
    const id = tick.instrumentId as string;
    const option = this.optionsById.get(id);
    // Only quotes give an option mid; a trade print says nothing about where the market is now.
    if (option !== undefined && tick.type === 'quote')
      this.recordOptionQuote(option, tick.bid, tick.ask, tick.tsEvent);
    const underlying = this.underlyingsById.get(id);
    if (underlying !== undefined)
      this.onUnderlyingPrice(
        underlying,
        tick.type === 'quote' ? midOf(tick.bid, tick.ask) : tick.price,
        tick.tsEvent,
      );
  };

  private readonly onBook = (book: BookSnapshot): void => {
    const id = book.instrumentId as string;
    const bid = book.bids[0]?.price;
    const ask = book.asks[0]?.price;
    const option = this.optionsById.get(id);
    if (option !== undefined) this.recordOptionQuote(option, bid ?? 0, ask ?? 0, book.tsEvent);
    const underlying = this.underlyingsById.get(id);
    if (underlying !== undefined) this.onUnderlyingPrice(underlying, midOf(bid, ask), book.tsEvent);
  };

  private recordOptionQuote(option: OptionSlot, bid: number, ask: number, tsEvent: number): void {
    // A one-sided or crossed option market has no mid to imply a volatility from.
    if (bid > 0 && ask >= bid && ask !== Number.POSITIVE_INFINITY) {
      option.quoteMid = (bid + ask) / 2;
      option.quoteTime = tsEvent;
    } else {
      option.quoteMid = Number.NaN;
    }
  }

  private onUnderlyingPrice(underlying: UnderlyingSlot, price: number, tsEvent: number): void {
    if (!(price > 0) || price === Number.POSITIVE_INFINITY) {
      this.skip('invalid-underlying-price');
      return;
    }
    if (price === underlying.lastPrice) {
      this.skip('unchanged');
      return;
    }
    underlying.lastPrice = price;
    const options = underlying.options;
    for (let i = 0; i < options.length; i++) this.price(options[i] as OptionSlot, price, tsEvent);
  }

  // ---- pricing ----

  private price(option: OptionSlot, underlyingPrice: number, tsEvent: number): void {
    const spec = option.spec;
    const time = (spec.expiry - tsEvent) / this.microsPerYear;
    if (!(time > 0)) {
      this.skip('expired');
      return;
    }
    let volatility = spec.volatility;
    let implied = false;
    if (option.quoteMid === option.quoteMid) {
      const maxAge = this.currentConfig.maxQuoteAgeMicros;
      if (maxAge > 0 && tsEvent - option.quoteTime > maxAge) this.fallback('stale-quote');
      else {
        const parameters = this.parameters;
        parameters.type = option.type;
        parameters.spot = underlyingPrice;
        parameters.strike = spec.strike;
        parameters.time = time;
        parameters.rate = spec.rate;
        parameters.dividendYield = spec.dividendYield;
        try {
          volatility = impliedVolatility(option.model, parameters, option.quoteMid);
          implied = true;
        } catch (error) {
          if (!(error instanceof ImpliedVolatilityError)) throw error;
          this.fallback(error.reason);
        }
      }
    }
    const greeks = evaluateGreeks(
      option.model,
      option.isCall,
      underlyingPrice,
      spec.strike,
      time,
      spec.rate,
      spec.dividendYield,
      volatility,
      this.greeks,
    );
    if (!Number.isFinite(greeks.price) || !Number.isFinite(greeks.delta)) {
      this.skip('pricing-error');
      if (!this.warned.has(spec.instrumentId)) {
        this.warned.add(spec.instrumentId);
        this.logger.warn('option could not be priced', {
          instrumentId: spec.instrumentId,
          underlyingPrice,
          volatility,
          time,
        });
      }
      return;
    }
    const message: OptionGreeks = {
      type: 'greeks',
      instrumentId: option.instrumentId,
      underlyingId: option.underlyingId,
      underlyingPrice,
      model: option.model,
      price: greeks.price,
      volatility,
      delta: greeks.delta,
      gamma: greeks.gamma,
      vega: greeks.vega,
      theta: greeks.theta,
      rho: greeks.rho,
      dividendRho: greeks.dividendRho,
      tsEvent,
      tsInit: this.clock.now(),
    };
    option.last = message;
    this.published++;
    if (implied) this.impliedVolatilityUsed++;
    this.bus.publish(Streams.greeks, message);
  }

  private skip(reason: GreeksSkipReason): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  private fallback(reason: VolatilityFallbackReason): void {
    this.volatilityFallbacks[reason] = (this.volatilityFallbacks[reason] ?? 0) + 1;
  }

  // ---- queries ----

  /** The last greeks published for an option, if any. */
  latest(instrumentId: string): OptionGreeks | undefined {
    return this.optionsById.get(instrumentId)?.last;
  }

  snapshot(): GreeksEngineSnapshot {
    return {
      options: this.optionsById.size,
      underlyings: this.underlyingsById.size,
      published: this.published,
      impliedVolatilityUsed: this.impliedVolatilityUsed,
      skipped: { ...this.skipped },
      volatilityFallbacks: { ...this.volatilityFallbacks },
    };
  }
}
