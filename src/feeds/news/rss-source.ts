// An RSS 2.0 / Atom 1.0 feed over HTTP as a news source: conditional GET (ETag / If-Modified-Since), a timeout,
// a size cap, and the document parsed into entries. Scheduling, backoff and dedup are the poller's.

import { fetchDocument, type HttpValidators } from './http.ts';
import { parseFeed, type FeedFormat } from './parse.ts';
import { NOT_MODIFIED, type NewsBatch, type NewsSource } from './source.ts';

export interface FeedSourceOptions {
  readonly name: string;
  readonly url: string;
  /** Default 10 s. */
  readonly timeoutMs?: number;
  /** Default 5 MB. */
  readonly maxBytes?: number;
  readonly userAgent?: string;
  readonly fetch?: typeof fetch;
}

const ACCEPT = 'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5';

export class FeedSource implements NewsSource {
  readonly name: string;
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly fetchImpl: typeof fetch | undefined;
  /** Kept only from a document that parsed: a malformed one is fetched again in full next time. */
  private validators: HttpValidators = {};
  private lastFormat: FeedFormat | undefined;

  constructor(options: FeedSourceOptions) {
    this.name = options.name;
    this.url = options.url;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxBytes = options.maxBytes ?? 5_000_000;
    this.headers = { accept: ACCEPT, 'user-agent': options.userAgent ?? 'hf-news' };
    this.fetchImpl = options.fetch;
  }

  /** The format of the last document parsed (undefined before the first). */
  get format(): FeedFormat | undefined {
    return this.lastFormat;
  }

  async poll(signal: AbortSignal): Promise<NewsBatch> {
    const document = await fetchDocument({
      source: this.name,
      url: this.url,
      validators: this.validators,
      timeoutMs: this.timeoutMs,
      maxBytes: this.maxBytes,
      signal,
      headers: this.headers,
      ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}),
    });
    if (document.notModified) return NOT_MODIFIED;
    const feed = parseFeed(document.text, { source: this.name, baseUrl: this.url });
    this.validators = document.validators;
    this.lastFormat = feed.format;
    return { notModified: false, entries: feed.entries, problems: feed.problems };
  }
}
