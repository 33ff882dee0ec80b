// Public surface of the news feeds: RSS/Atom and social sources polled into `news.raw`.
export {
  NewsFeeds,
  createNewsSource,
  taggerOptionsFromConfig,
  type NewsFeedsDependencies,
} from './news-feeds.ts';
export {
  NewsFeedsConfigSchema,
  NewsSourceConfigSchema,
  loadNewsFeedsConfig,
  parseNewsFeedsConfig,
  type NewsFeedsConfig,
  type NewsFeedsConfigInput,
  type NewsSourceConfig,
} from './config.ts';
export { NewsPoller, type NewsPollerOptions, type NewsPollOutcome, type NewsPollerStats } from './poller.ts';
export { FeedSource, type FeedSourceOptions } from './rss-source.ts';
export {
  SocialPostSource,
  parseSocialDocument,
  parseSocialJsonLines,
  socialPostToEntry,
  type SocialPostSourceOptions,
} from './social.ts';
export { parseFeed, type FeedFormat, type ParseFeedOptions, type ParsedFeed } from './parse.ts';
export {
  InstrumentTagger,
  createInstrumentTagger,
  DEFAULT_AMBIGUOUS_SYMBOLS,
  DEFAULT_EXCHANGE_PREFIXES,
  type InstrumentTaggerOptions,
} from './tagger.ts';
export {
  NOT_MODIFIED,
  type EntryProblem,
  type NewsBatch,
  type NewsEntry,
  type NewsSource,
} from './source.ts';
export { NewsFeedError, NewsReasons, type NewsReasonCode } from './reasons.ts';
export { parseFeedDate, parseRfc3339Date, parseRfc822Date } from './dates.ts';
export { decodeHtmlEntities, htmlToText } from './text.ts';
export {
  decodeDocument,
  fetchDocument,
  type FetchDocumentRequest,
  type FetchedDocument,
  type HttpValidators,
} from './http.ts';
export { RecentIds } from './recent-ids.ts';
