// RSS 2.0 and Atom 1.0 documents → news entries. A document that is not well-formed, or neither format,
// throws a NewsFeedError naming the source; a bad item is skipped and reported, the rest kept.

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseFeedDate } from './dates.ts';
import { NewsFeedError } from './reasons.ts';
import type { EntryProblem, NewsEntry } from './source.ts';
import { decodeXmlText, htmlToText, truncateText } from './text.ts';

export type FeedFormat = 'rss' | 'atom';

export interface ParsedFeed {
  readonly format: FeedFormat;
  /** Channel / feed title, plain text. */
  readonly title: string;
  readonly entries: readonly NewsEntry[];
  readonly problems: readonly EntryProblem[];
}

export interface ParseFeedOptions {
  /** Source name, for error messages. */
  readonly source: string;
  /** The document's URL: relative links are resolved against it. */
  readonly baseUrl?: string;
}

/** A title derived from the summary (an RSS item may have only a description) is cut to this length. */
const DERIVED_TITLE_LENGTH = 160;

const ARRAY_PATHS = new Set(['rss.channel.item', 'feed.entry', 'feed.entry.link']);

// Atom text constructs keep their raw content (stop nodes): `type="xhtml"` content is markup, not child
// elements, and `type="html"` content is escaped HTML; both are turned into text here, not by the parser.
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  stopNodes: ['feed.entry.title', 'feed.entry.summary', 'feed.entry.content'],
  isArray: (_name: string, path: unknown) => typeof path === 'string' && ARRAY_PATHS.has(path),
});

type XmlNode = Readonly<Record<string, unknown>>;

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstOf(value: unknown): unknown {
  return Array.isArray(value) ? (value as unknown[])[0] : value;
}

/** Text content of an element (the first, if repeated); undefined if the element is absent. */
function textOf(value: unknown): string | undefined {
  const element = firstOf(value);
  if (typeof element === 'string') return element;
  if (isNode(element)) {
    const text = element['#text'];
    return typeof text === 'string' ? text : '';
  }
  return undefined;
}

function attributeOf(value: unknown, name: string): string | undefined {
  const element = firstOf(value);
  if (!isNode(element)) return undefined;
  const attribute = element[`@_${name}`];
  return typeof attribute === 'string' ? attribute : undefined;
}

function resolveUrl(url: string, baseUrl: string | undefined): string {
  if (!url || !baseUrl) return url;
  try {
    return new URL(url, baseUrl).href;
  } catch {
    return url;
  }
}

function describeItem(index: number, id: string | undefined): string {
  return id ? `item ${index + 1} (${truncateText(id, 80)})` : `item ${index + 1}`;
}

/** Shared tail of both formats: title fallback and the publication time. */
function finishEntry(
  index: number,
  fields: { id: string | undefined; title: string; summary: string; url: string; date: string | undefined },
  dateElement: string,
  entries: NewsEntry[],
  problems: EntryProblem[],
): void {
  const { id, summary, url, date } = fields;
  const where = describeItem(index, id);
  if (!id) {
    problems.push({ reason: 'NEWS_ITEM_MISSING_ID', message: `${where}: no id, guid or link` });
    return;
  }
  if (!fields.title && !summary) {
    problems.push({ reason: 'NEWS_ITEM_MISSING_TITLE', message: `${where}: neither a title nor a summary` });
    return;
  }
  const dateText = date?.trim();
  if (!dateText) {
    problems.push({ reason: 'NEWS_ITEM_MISSING_DATE', message: `${where}: no ${dateElement}` });
    return;
  }
  const publishedAt = parseFeedDate(dateText);
  if (publishedAt === undefined) {
    problems.push({
      reason: 'NEWS_ITEM_INVALID_DATE',
      message: `${where}: ${dateElement} "${truncateText(dateText, 60)}" is not an RFC 822 or RFC 3339 time`,
    });
    return;
  }
  const title = fields.title || truncateText(summary, DERIVED_TITLE_LENGTH);
  entries.push({ id, title, summary, url, publishedAt });
}

function parseRssItems(
  channel: XmlNode,
  baseUrl: string | undefined,
): Pick<ParsedFeed, 'entries' | 'problems'> {
  const entries: NewsEntry[] = [];
  const problems: EntryProblem[] = [];
  const items = channel.item;
  const list: readonly unknown[] = Array.isArray(items) ? (items as unknown[]) : [];
  for (let index = 0; index < list.length; index++) {
    const item = list[index];
    if (!isNode(item)) {
      problems.push({
        reason: 'NEWS_ITEM_INVALID',
        message: `${describeItem(index, undefined)}: empty element`,
      });
      continue;
    }
    const guid = textOf(item.guid)?.trim() ?? '';
    const link = resolveUrl(textOf(item.link)?.trim() ?? '', baseUrl);
    // A guid is a permalink unless it says otherwise (RSS 2.0 spec, <guid> element).
    const guidIsLink = attributeOf(item.guid, 'isPermaLink') !== 'false' && /^https?:\/\//i.test(guid);
    finishEntry(
      index,
      {
        id: guid || link || undefined,
        title: htmlToText(textOf(item.title) ?? ''),
        summary: htmlToText(textOf(item.description) ?? textOf(item['content:encoded']) ?? ''),
        url: link || (guidIsLink ? guid : ''),
        date: textOf(item.pubDate) ?? textOf(item['dc:date']),
      },
      'pubDate',
      entries,
      problems,
    );
  }
  return { entries, problems };
}

/** An Atom text construct (RFC 4287 §3.1): raw content of a stop node, by its `type`. */
function atomText(value: unknown): string {
  const raw = textOf(value);
  if (!raw) return '';
  return attributeOf(value, 'type') === 'xhtml' ? htmlToText(raw) : htmlToText(decodeXmlText(raw));
}

/** The entry's `rel="alternate"` link (the default rel, RFC 4287 §4.2.7.2), else its first link. */
function atomLink(value: unknown): string {
  const links: readonly unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
  let fallback = '';
  for (const link of links) {
    const href = attributeOf(link, 'href')?.trim();
    if (!href) continue;
    const rel = attributeOf(link, 'rel') ?? 'alternate';
    if (rel === 'alternate') return href;
    if (!fallback) fallback = href;
  }
  return fallback;
}

function parseAtomEntries(
  feed: XmlNode,
  baseUrl: string | undefined,
): Pick<ParsedFeed, 'entries' | 'problems'> {
  const entries: NewsEntry[] = [];
  const problems: EntryProblem[] = [];
  const list: readonly unknown[] = Array.isArray(feed.entry) ? (feed.entry as unknown[]) : [];
  for (let index = 0; index < list.length; index++) {
    const entry = list[index];
    if (!isNode(entry)) {
      problems.push({
        reason: 'NEWS_ITEM_INVALID',
        message: `${describeItem(index, undefined)}: empty element`,
      });
      continue;
    }
    const link = resolveUrl(atomLink(entry.link), baseUrl);
    const summary = atomText(entry.summary) || atomText(entry.content);
    finishEntry(
      index,
      {
        id: textOf(entry.id)?.trim() || link || undefined,
        title: atomText(entry.title),
        summary,
        url: link,
        date: textOf(entry.published) ?? textOf(entry.updated),
      },
      'published or updated',
      entries,
      problems,
    );
  }
  return { entries, problems };
}

function rootName(document: XmlNode): string {
  for (const key of Object.keys(document)) if (!key.startsWith('#') && !key.startsWith('?')) return key;
  return '';
}

const UNCLOSED = /^Invalid '\[([^\]]*)\]' found/;

/** The validator's message, with its report of unclosed elements (a document cut short) made readable. */
function describeXmlError(error: {
  readonly msg: string;
  readonly line: number;
  readonly col: number;
}): string {
  const unclosed = UNCLOSED.exec(error.msg);
  if (unclosed) {
    const names = (unclosed[1] ?? '').match(/[^\s",]+/g) ?? [];
    return `the document ends with elements still open: ${names.map((name) => `<${name}>`).join(' ')}`;
  }
  return `XML error at line ${error.line}, column ${error.col}: ${error.msg.replace(/\s+/g, ' ')}`;
}

/** Parses an RSS 2.0 or Atom 1.0 document (detected from its root element). */
export function parseFeed(xml: string, options: ParseFeedOptions): ParsedFeed {
  const { source, baseUrl } = options;
  const text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1).trimStart() : xml.trimStart();
  if (!text) throw new NewsFeedError('NEWS_MALFORMED_DOCUMENT', source, 'the document is empty');
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    throw new NewsFeedError('NEWS_MALFORMED_DOCUMENT', source, describeXmlError(validation.err));
  }
  let document: unknown;
  try {
    document = parser.parse(text);
  } catch (error) {
    throw new NewsFeedError('NEWS_MALFORMED_DOCUMENT', source, `XML error: ${(error as Error).message}`);
  }
  if (!isNode(document)) throw new NewsFeedError('NEWS_UNKNOWN_FORMAT', source, 'no root element');
  if ('rss' in document) {
    const rss = document.rss;
    const channel = isNode(rss) ? firstOf(rss.channel) : undefined;
    if (!isNode(channel)) throw new NewsFeedError('NEWS_UNKNOWN_FORMAT', source, '<rss> has no <channel>');
    return {
      format: 'rss',
      title: htmlToText(textOf(channel.title) ?? ''),
      ...parseRssItems(channel, baseUrl),
    };
  }
  if ('feed' in document) {
    const feed = document.feed;
    const node: XmlNode = isNode(feed) ? feed : {};
    return {
      format: 'atom',
      title: htmlToText(textOf(node.title) ?? ''),
      ...parseAtomEntries(node, baseUrl),
    };
  }
  const root = rootName(document);
  throw new NewsFeedError(
    'NEWS_UNKNOWN_FORMAT',
    source,
    root ? `root element <${root}> is neither <rss> nor <feed>` : 'no root element',
  );
}
