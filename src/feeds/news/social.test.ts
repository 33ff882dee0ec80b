// Social posts: the documented post shape, a tailed JSON-lines file (temp files) and an HTTP endpoint (loopback).
import { appendFile, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFeedServer, type FeedServer } from './feed-server.test-support.ts';
import { NewsFeedError } from './reasons.ts';
import { SocialPostSource, parseSocialDocument, socialPostToEntry } from './social.ts';

const signal = new AbortController().signal;
// 2024-01-02T14:30:00Z: 1,704,153,600 s (2024-01-02, see dates.test.ts) + 14.5 h (52,200 s) = 1,704,205,800 s.
const T = 1_704_205_800_000_000;
const post = (id: string, text: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ id, author: 'deskwatch', text, time: '2024-01-02T14:30:00Z', ...extra });

describe('socialPostToEntry', () => {
  it('maps the documented shape', () => {
    expect(
      socialPostToEntry(
        {
          id: 1742,
          author: ' deskwatch ',
          text: '$AAPL &amp; $MSFT up <b>2%</b>',
          url: 'https://x.example/p/1742',
          time: 1_704_205_800_000,
        },
        'line 1',
      ),
    ).toEqual({
      entry: {
        id: '1742',
        title: 'deskwatch: $AAPL & $MSFT up 2%',
        summary: '$AAPL & $MSFT up 2%',
        url: 'https://x.example/p/1742',
        publishedAt: T,
      },
    });
  });

  it('names what is wrong with a bad post', () => {
    const reason = (value: unknown): string | undefined => {
      const result = socialPostToEntry(value, 'line 9');
      return 'problem' in result ? result.problem.reason : undefined;
    };
    expect(reason([1, 2])).toBe('NEWS_ITEM_INVALID');
    expect(reason({ author: 'a', text: 't', time: 0 })).toBe('NEWS_ITEM_MISSING_ID');
    expect(reason({ id: 2 ** 60, author: 'a', text: 't', time: 0 })).toBe('NEWS_ITEM_MISSING_ID');
    expect(reason({ id: 'x', text: 't', time: 0 })).toBe('NEWS_POST_MISSING_AUTHOR');
    expect(reason({ id: 'x', author: 'a', text: '  ', time: 0 })).toBe('NEWS_ITEM_MISSING_TITLE');
    expect(reason({ id: 'x', author: 'a', text: 't', url: 5, time: 0 })).toBe('NEWS_POST_INVALID_URL');
    expect(reason({ id: 'x', author: 'a', text: 't' })).toBe('NEWS_ITEM_MISSING_DATE');
    expect(reason({ id: 'x', author: 'a', text: 't', time: 'yesterday' })).toBe('NEWS_ITEM_INVALID_DATE');
    const message = socialPostToEntry({ id: 'x', author: 'a', text: 't', time: 'yesterday' }, 'line 9');
    expect('problem' in message && message.problem.message).toBe(
      'line 9 (id x): "time" must be RFC 3339 text or epoch milliseconds, not "yesterday"',
    );
  });
});

describe('parseSocialDocument', () => {
  it('reads a JSON array or JSON lines, and fails an array that is not JSON', () => {
    expect(parseSocialDocument(`[${post('a', 'one')}, ${post('b', 'two')}]`, 'api').entries).toHaveLength(2);
    const lines = parseSocialDocument(`${post('a', 'one')}\n\nnot json\n${post('b', 'two')}\n`, 'api');
    expect(lines.entries.map((entry) => entry.id)).toEqual(['a', 'b']);
    expect(lines.problems).toEqual([
      { reason: 'NEWS_POST_INVALID_JSON', message: expect.stringMatching(/^line 3: /) as string },
    ]);
    expect(() => parseSocialDocument('[{"id": ', 'api')).toThrow(NewsFeedError);
  });
});

describe('SocialPostSource: JSON-lines file', () => {
  let directory: string;
  let path: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'hf-social-'));
    path = join(directory, 'posts.jsonl');
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('reads appended complete lines; a partial last line waits for its newline', async () => {
    const source = new SocialPostSource({ name: 'desk', location: path });
    const partial = post('p3', 'RELIANCE up');
    await writeFile(path, `${post('p1', 'first')}\n${post('p2', 'second')}\n${partial.slice(0, 20)}`);
    expect((await source.poll(signal)).entries.map((entry) => entry.id)).toEqual(['p1', 'p2']);
    expect((await source.poll(signal)).entries).toEqual([]);

    await appendFile(path, `${partial.slice(20)}\n{oops\n`);
    const batch = await source.poll(signal);
    expect(batch.entries.map((entry) => entry.id)).toEqual(['p3']);
    // Lines are numbered across polls: p1, p2, p3, then the bad line 4.
    expect(batch.problems.map((problem) => problem.message.slice(0, 7))).toEqual(['line 4:']);
    expect(batch.problems[0]?.reason).toBe('NEWS_POST_INVALID_JSON');
  });

  it('starts over when the file is truncated or replaced', async () => {
    const source = new SocialPostSource({ name: 'desk', location: `file://${path}` });
    await writeFile(path, `${post('p1', 'first')}\n${post('p2', 'second')}\n`);
    expect((await source.poll(signal)).entries).toHaveLength(2);
    await truncate(path, 0);
    await appendFile(path, `${post('p9', 'after rotation')}\n`);
    expect((await source.poll(signal)).entries.map((entry) => entry.id)).toEqual(['p9']);
  });

  it('skips a line longer than one read', async () => {
    const source = new SocialPostSource({ name: 'desk', location: path, maxBytes: 64 });
    await writeFile(path, 'x'.repeat(100));
    const batch = await source.poll(signal);
    expect(batch.problems.map((problem) => problem.reason)).toEqual(['NEWS_ITEM_TOO_LONG']);
  });

  it('fails a missing file with the path named', async () => {
    const source = new SocialPostSource({ name: 'desk', location: join(directory, 'absent.jsonl') });
    const error = await source.poll(signal).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(NewsFeedError);
    expect((error as NewsFeedError).code).toBe('NEWS_READ_FAILED');
    expect((error as NewsFeedError).message).toContain('absent.jsonl');
  });
});

describe('SocialPostSource: HTTP endpoint', () => {
  let server: FeedServer;
  afterEach(async () => {
    await server.close();
  });

  it('fetches with conditional GET', async () => {
    server = await startFeedServer((request) =>
      request.headers['if-none-match'] === '"s1"'
        ? { status: 304 }
        : {
            status: 200,
            headers: { etag: '"s1"', 'content-type': 'application/x-ndjson' },
            body: `${post('h1', 'hello')}\n`,
          },
    );
    const source = new SocialPostSource({ name: 'api', location: `${server.url}/posts` });
    expect((await source.poll(signal)).entries.map((entry) => entry.id)).toEqual(['h1']);
    expect(await source.poll(signal)).toMatchObject({ notModified: true, entries: [] });
    expect(server.requests[0]?.headers.accept).toContain('application/x-ndjson');
  });
});
