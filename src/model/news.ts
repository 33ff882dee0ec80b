// A news item normalised from any source (RSS/Atom feeds, social posts) as published on `news.raw`.

import type { InstrumentId } from './identifiers.ts';

export interface NewsItem {
  readonly type: 'news';
  /** Stable id of the item at its source (guid, Atom id, or the link), used to drop duplicates. */
  readonly id: string;
  /** Source name from config, e.g. `yahoo-finance`, `moneycontrol`. */
  readonly source: string;
  readonly title: string;
  /** Plain text, markup removed. */
  readonly summary: string;
  readonly url: string;
  /** Instruments the item mentions (tagged by ticker and company name). */
  readonly instruments: readonly InstrumentId[];
  /** Publication time at the source, unix µs. */
  readonly publishedAt: number;
  readonly tsInit: number;
}
