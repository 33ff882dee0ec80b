// Messages of the side workers: per-instrument news sentiment on `sentiment`, stress-test results on `scenarios`.

import type { InstrumentId } from './identifiers.ts';

/** One news item's sentiment for one instrument it mentions, and the instrument's rolling score after it. */
export interface SentimentUpdate {
  readonly type: 'sentiment';
  readonly instrumentId: InstrumentId;
  /** The news item (`NewsItem.id`) and its source. */
  readonly newsId: string;
  readonly source: string;
  /** This item's score for the instrument, -1 (negative) … 1 (positive); 0 when no lexicon term matched. */
  readonly itemScore: number;
  /** Lexicon terms behind `itemScore`, after phrases, negation and intensity. */
  readonly matches: number;
  /**
   * The instrument's rolling score, -1 … 1: exponentially decayed item scores, shrunk toward 0 by a neutral
   * prior, so it fades back to neutral as the news ages.
   */
  readonly score: number;
  /** Decayed count of the items behind `score`: how much recent news there is. */
  readonly weight: number;
  /** Publication time of the item, unix µs. */
  readonly tsEvent: number;
  readonly tsInit: number;
}

/** What one stress scenario does to the live book, in the base currency (positive = gain). */
export interface ScenarioResult {
  readonly name: string;
  readonly description: string;
  readonly pnl: number;
  /** The worst PnL along a historical episode's path; equal to `pnl` for a one-step shock. */
  readonly worstPnl: number;
  /** Strategy id → PnL. */
  readonly byStrategy: Readonly<Record<string, number>>;
  /** Instrument id → PnL, firm-wide. */
  readonly byInstrument: Readonly<Record<string, number>>;
  /** Positions the scenario could not value, as `strategy/instrument: why` (left out of the sums). */
  readonly unmodelled: readonly string[];
}

/** Every configured scenario applied to the book at one instant. Published on `scenarios`. */
export interface ScenarioReport {
  readonly type: 'scenario_report';
  readonly baseCurrency: string;
  /** Open positions (strategy × instrument) the report covers. */
  readonly positions: number;
  readonly scenarios: readonly ScenarioResult[];
  readonly tsEvent: number;
  readonly tsInit: number;
}
