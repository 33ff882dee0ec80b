// Social posts as a news source: a JSON-lines file (tailed: each poll reads the lines appended since the last)
// or an HTTP endpoint (JSON lines or a JSON array, fetched whole; the poller drops posts it has seen).
//
// One post per line: {"id": "1742…", "author": "someone", "text": "…", "url": "https://…", "time": "2024-01-02T14:30:00Z"}
//   id      string (or a safe integer), unique at the source
//   author  string
//   text    string; HTML entities are decoded and markup removed
//   url     optional string
//   time    RFC 3339 text, or a number of milliseconds since the Unix epoch

import { open, stat, type FileHandle } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseRfc3339Date } from './dates.ts';
import { fetchDocument, type HttpValidators } from './http.ts';
import { NewsFeedError } from './reasons.ts';
import {
  NOT_MODIFIED,
  type EntryProblem,
  type NewsBatch,
  type NewsEntry,
  type NewsSource,
} from './source.ts';
import { htmlToText, truncateText } from './text.ts';

/** A post's title is its author and the start of its text. */
const TITLE_LENGTH = 140;
const MICROS_PER_MILLI = 1000;

export interface SocialPostSourceOptions {
  readonly name: string;
  /** `http://` or `https://` URL, `file://` URL, or a file path. */
  readonly location: string;
  /** HTTP only. */
  readonly timeoutMs?: number;
  /** HTTP: the largest document; file: the most bytes read in one poll (the rest waits for the next). */
  readonly maxBytes?: number;
  readonly userAgent?: string;
  readonly fetch?: typeof fetch;
}

type PostResult = { readonly entry: NewsEntry } | { readonly problem: EntryProblem };

function problem(reason: EntryProblem['reason'], message: string): PostResult {
  return { problem: { reason, message } };
}

/** One post (already JSON-parsed) → an entry, or the reason it is skipped. `where` names it in messages. */
export function socialPostToEntry(value: unknown, where: string): PostResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return problem('NEWS_ITEM_INVALID', `${where}: not a JSON object`);
  const post = value as Record<string, unknown>;
  const rawId = post.id;
  const id =
    typeof rawId === 'string' ? rawId.trim() : Number.isSafeInteger(rawId) ? String(rawId) : undefined;
  if (!id)
    return problem('NEWS_ITEM_MISSING_ID', `${where}: "id" must be a non-empty string or a safe integer`);
  const label = `${where} (id ${truncateText(id, 40)})`;
  const author = typeof post.author === 'string' ? post.author.trim() : '';
  if (!author) return problem('NEWS_POST_MISSING_AUTHOR', `${label}: "author" must be a non-empty string`);
  const text = typeof post.text === 'string' ? htmlToText(post.text) : '';
  if (!text) return problem('NEWS_ITEM_MISSING_TITLE', `${label}: "text" must be a non-empty string`);
  if (post.url !== undefined && typeof post.url !== 'string')
    return problem('NEWS_POST_INVALID_URL', `${label}: "url" must be a string`);
  const time = post.time;
  let publishedAt: number | undefined;
  if (time === undefined || time === null || time === '')
    return problem('NEWS_ITEM_MISSING_DATE', `${label}: no "time"`);
  if (typeof time === 'string') publishedAt = parseRfc3339Date(time);
  else if (typeof time === 'number' && Number.isFinite(time) && time >= 0)
    publishedAt = Math.round(time * MICROS_PER_MILLI);
  if (publishedAt === undefined)
    return problem(
      'NEWS_ITEM_INVALID_DATE',
      `${label}: "time" must be RFC 3339 text or epoch milliseconds, not ${truncateText(JSON.stringify(time), 40)}`,
    );
  return {
    entry: {
      id,
      title: truncateText(`${author}: ${text}`, TITLE_LENGTH),
      summary: text,
      url: typeof post.url === 'string' ? post.url.trim() : '',
      publishedAt,
    },
  };
}

function addPost(value: unknown, where: string, entries: NewsEntry[], problems: EntryProblem[]): void {
  const result = socialPostToEntry(value, where);
  if ('entry' in result) entries.push(result.entry);
  else problems.push(result.problem);
}

/** Parses JSON lines (`firstLine` numbers them in messages); blank lines are ignored. */
export function parseSocialJsonLines(text: string, firstLine = 1): Pick<NewsBatch, 'entries' | 'problems'> {
  const entries: NewsEntry[] = [];
  const problems: EntryProblem[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] ?? '').trim();
    if (!line) continue;
    const where = `line ${firstLine + index}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push({ reason: 'NEWS_POST_INVALID_JSON', message: `${where}: ${(error as Error).message}` });
      continue;
    }
    addPost(value, where, entries, problems);
  }
  return { entries, problems };
}

/** An HTTP body: a JSON array of posts, or JSON lines. An array that is not valid JSON fails the document. */
export function parseSocialDocument(text: string, source: string): Pick<NewsBatch, 'entries' | 'problems'> {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[')) return parseSocialJsonLines(text);
  let posts: unknown;
  try {
    posts = JSON.parse(trimmed);
  } catch (error) {
    throw new NewsFeedError(
      'NEWS_MALFORMED_DOCUMENT',
      source,
      `invalid JSON array: ${(error as Error).message}`,
    );
  }
  const entries: NewsEntry[] = [];
  const problems: EntryProblem[] = [];
  const list = posts as unknown[];
  for (let index = 0; index < list.length; index++)
    addPost(list[index], `post ${index + 1}`, entries, problems);
  return { entries, problems };
}

const NEWLINE = 0x0a;

/** Reads social posts from a JSON-lines file or an HTTP endpoint (see the header of this file for the shape). */
export class SocialPostSource implements NewsSource {
  readonly name: string;
  private readonly path: string | undefined;
  private readonly url: string | undefined;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly fetchImpl: typeof fetch | undefined;
  private validators: HttpValidators = {};
  /** File: bytes consumed so far, the line number at that point, and the file's identity (rotation check). */
  private offset = 0;
  private line = 1;
  private inode = -1;

  constructor(options: SocialPostSourceOptions) {
    this.name = options.name;
    const location = options.location;
    if (/^https?:\/\//i.test(location)) this.url = location;
    else this.path = location.startsWith('file:') ? fileURLToPath(location) : location;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxBytes = options.maxBytes ?? 5_000_000;
    this.headers = {
      accept: 'application/x-ndjson, application/jsonl, application/json;q=0.9, */*;q=0.5',
      'user-agent': options.userAgent ?? 'hf-news',
    };
    this.fetchImpl = options.fetch;
  }

  async poll(signal: AbortSignal): Promise<NewsBatch> {
    return this.url !== undefined ? this.pollHttp(this.url, signal) : this.pollFile(this.path ?? '');
  }

  private async pollHttp(url: string, signal: AbortSignal): Promise<NewsBatch> {
    const document = await fetchDocument({
      source: this.name,
      url,
      validators: this.validators,
      timeoutMs: this.timeoutMs,
      maxBytes: this.maxBytes,
      signal,
      headers: this.headers,
      ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}),
    });
    if (document.notModified) return NOT_MODIFIED;
    const parsed = parseSocialDocument(document.text, this.name);
    this.validators = document.validators;
    return { notModified: false, entries: parsed.entries, problems: parsed.problems };
  }

  /** Reads the complete lines appended since the last poll; a partial last line waits for its newline. */
  private async pollFile(path: string): Promise<NewsBatch> {
    let handle: FileHandle | undefined;
    try {
      const info = await stat(path);
      // A new file under the same name (rotation) or a shorter one (truncation): start from its beginning.
      if (info.ino !== this.inode || info.size < this.offset) {
        this.inode = info.ino;
        this.offset = 0;
        this.line = 1;
      }
      if (info.size === this.offset) return { notModified: false, entries: [], problems: [] };
      handle = await open(path, 'r');
      const length = Math.min(info.size - this.offset, this.maxBytes);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, this.offset);
      const chunk = buffer.subarray(0, bytesRead);
      const end = chunk.lastIndexOf(NEWLINE);
      if (end < 0) {
        if (bytesRead < this.maxBytes) return { notModified: false, entries: [], problems: [] };
        // A line longer than a whole read: skip it rather than wait forever.
        this.offset += bytesRead;
        const message = `line ${this.line}: longer than ${this.maxBytes} bytes, skipped`;
        return { notModified: false, entries: [], problems: [{ reason: 'NEWS_ITEM_TOO_LONG', message }] };
      }
      const text = chunk.toString('utf8', 0, end + 1);
      const parsed = parseSocialJsonLines(text, this.line);
      this.offset += end + 1;
      for (let i = 0; i <= end; i++) if (chunk[i] === NEWLINE) this.line++;
      return { notModified: false, entries: parsed.entries, problems: parsed.problems };
    } catch (error) {
      if (error instanceof NewsFeedError) throw error;
      throw new NewsFeedError('NEWS_READ_FAILED', this.name, `${path}: ${(error as Error).message}`);
    } finally {
      await handle?.close();
    }
  }
}
