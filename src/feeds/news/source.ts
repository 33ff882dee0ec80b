// The pluggable news source contract: anything that can be polled for entries (RSS/Atom feeds, social posts).
// The poller turns entries into `NewsItem`s (source name, instrument tags, tsInit) and publishes them.

import type { NewsReasonCode } from './reasons.ts';

/** One item as read at its source: a `NewsItem` before tagging and stamping. */
export interface NewsEntry {
  /** Stable id at the source (guid, Atom id, link or post id): the dedup key. */
  readonly id: string;
  readonly title: string;
  /** Plain text: markup removed, entities decoded, whitespace collapsed. */
  readonly summary: string;
  /** Empty when the source gives none. */
  readonly url: string;
  /** Unix µs. */
  readonly publishedAt: number;
}

/** An item that was skipped, and why. */
export interface EntryProblem {
  readonly reason: NewsReasonCode;
  /** Names the item (position, id or line) and what is wrong with it. */
  readonly message: string;
}

export interface NewsBatch {
  /** True when the source reports nothing changed since the last poll (HTTP 304): `entries` is empty. */
  readonly notModified: boolean;
  readonly entries: readonly NewsEntry[];
  readonly problems: readonly EntryProblem[];
}

export interface NewsSource {
  /** Source name from config; becomes `NewsItem.source`. */
  readonly name: string;
  /**
   * Reads what the source holds now. A source may return entries it returned before (a feed lists its latest
   * items every time): the poller drops those by id. Rejects with a `NewsFeedError` when the whole fetch or
   * document fails; a bad item is reported in `problems`, never thrown. `signal` aborts an in-flight fetch.
   */
  poll(signal: AbortSignal): Promise<NewsBatch>;
}

export const NOT_MODIFIED: NewsBatch = { notModified: true, entries: [], problems: [] };
