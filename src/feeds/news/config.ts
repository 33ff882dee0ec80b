// Configuration of the news feeds (`configs/news.yaml`): the sources to poll and how instruments are tagged.

import { z } from 'zod';
import { loadConfigFile, parseConfig } from '../../common/config.ts';

const HTTP_URL = /^https?:\/\/[^\s/]+/i;

export const NewsSourceConfigSchema = z
  .object({
    /** Becomes `NewsItem.source`, e.g. `yahoo-aapl`, `moneycontrol-business`. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ., - and _ (starting with a letter or digit)'),
    /** rss / atom: an http(s) URL. social-jsonl: an http(s) URL, a file:// URL or a file path. */
    url: z.string().min(1),
    /** rss and atom are both detected from the document; the kind says what the source is expected to serve. */
    kind: z.enum(['rss', 'atom', 'social-jsonl']),
    intervalSeconds: z.number().positive().default(300),
    timeoutSeconds: z.number().positive().default(10),
    enabled: z.boolean().default(true),
  })
  .strict()
  .refine((source) => source.kind === 'social-jsonl' || HTTP_URL.test(source.url), {
    path: ['url'],
    message: 'an rss or atom source needs an http:// or https:// URL',
  });

export type NewsSourceConfig = z.infer<typeof NewsSourceConfigSchema>;

export const NewsFeedsConfigSchema = z
  .object({
    sources: z.array(NewsSourceConfigSchema).default([]),
    /** Company names and other aliases per registry symbol, e.g. `AAPL: [Apple, Apple Inc]`. */
    aliases: z.record(z.string(), z.array(z.string().min(1))).default({}),
    /** Short or ambiguous tickers allowed to tag bare (without `$` or an exchange prefix), e.g. `[IT]`. */
    bareSymbols: z.array(z.string().min(1)).default([]),
    /** Bare tickers shorter than this need `$` or an exchange prefix to tag. */
    minBareSymbolLength: z.number().int().min(1).default(3),
    /** Replaces the built-in list of tickers that are also English words (`ALL`, `NOW`, …). */
    ambiguousSymbols: z.array(z.string().min(1)).optional(),
    /** Replaces the built-in list of exchange prefixes (`NASDAQ:`, `NSE:`, …). */
    exchangePrefixes: z.array(z.string().regex(/^[A-Za-z0-9]+$/, 'letters and digits')).optional(),
    /** Item ids remembered per source to drop items already published. */
    dedupCapacity: z.number().int().min(1).default(10_000),
    /** The longest wait between polls of a failing source (the wait doubles per failure from the interval). */
    maxBackoffSeconds: z.number().positive().default(1800),
    /** A larger document fails the poll (NEWS_TOO_LARGE). */
    maxDocumentBytes: z.number().int().positive().default(5_000_000),
    userAgent: z.string().min(1).default('hf-news/0.1'),
  })
  .strict()
  .superRefine((config, context) => {
    const seen = new Set<string>();
    config.sources.forEach((source, index) => {
      if (seen.has(source.name))
        context.addIssue({
          code: 'custom',
          path: ['sources', index, 'name'],
          message: `duplicate source name "${source.name}"`,
        });
      seen.add(source.name);
    });
  });

export type NewsFeedsConfig = z.infer<typeof NewsFeedsConfigSchema>;
/** What a caller may pass: every key optional, defaults filled in by the schema. */
export type NewsFeedsConfigInput = z.input<typeof NewsFeedsConfigSchema>;

/** Validates a config value; a problem throws a ConfigError naming `file` and the key. */
export function parseNewsFeedsConfig(value: unknown, file = 'news'): NewsFeedsConfig {
  return parseConfig(NewsFeedsConfigSchema, value, file);
}

export function loadNewsFeedsConfig(file: string): NewsFeedsConfig {
  return loadConfigFile(NewsFeedsConfigSchema, file);
}
