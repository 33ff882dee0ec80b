// Reason codes of the news feeds: why a fetch failed or an item was skipped. Counted per source and named in
// logs, so an operator can grep a code and find the rule. Codes are stable: add, never rename.

export const NewsReasons = {
  // a whole fetch fails (the poller backs off and retries)
  NEWS_HTTP_STATUS: 'the server answered with an error status',
  NEWS_TIMEOUT: 'no complete answer within the timeout',
  NEWS_NETWORK: 'the server could not be reached',
  NEWS_TOO_LARGE: 'the document is larger than the configured maximum',
  NEWS_READ_FAILED: 'the file could not be read',
  NEWS_MALFORMED_DOCUMENT: 'the document is not well-formed XML or JSON',
  NEWS_UNKNOWN_FORMAT: 'the document is neither RSS 2.0 nor Atom 1.0',
  NEWS_SOURCE_FAILED: 'the source failed in an unexpected way (a defect in the source)',
  // one item is skipped, the rest of the document kept
  NEWS_ITEM_INVALID: 'the item is not an element / object',
  NEWS_ITEM_MISSING_ID: 'the item has no id (guid, Atom id, link or post id)',
  NEWS_ITEM_MISSING_TITLE: 'the item has neither a title nor any text',
  NEWS_ITEM_MISSING_DATE: 'the item has no publication time',
  NEWS_ITEM_INVALID_DATE: 'the publication time is not an RFC 822 / RFC 3339 time',
  NEWS_ITEM_TOO_LONG: 'a JSON line is longer than the configured maximum',
  NEWS_POST_INVALID_JSON: 'a line of a JSON-lines document is not valid JSON',
  NEWS_POST_MISSING_AUTHOR: 'the post has no author',
  NEWS_POST_INVALID_URL: 'the post url is not a string',
} as const;

export type NewsReasonCode = keyof typeof NewsReasons;

/** A fetch or a document that failed as a whole. `source` is the configured source name. */
export class NewsFeedError extends Error {
  constructor(
    readonly code: NewsReasonCode,
    readonly source: string,
    detail: string,
    /** From a 429/503 `Retry-After` header (delta seconds): the server asks not to retry sooner. */
    readonly retryAfterSeconds?: number,
  ) {
    super(`${source}: ${NewsReasons[code]}: ${detail}`);
    this.name = 'NewsFeedError';
  }
}
