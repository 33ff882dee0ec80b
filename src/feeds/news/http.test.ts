// Document fetching details: charset decoding and the size cap on a body without a declared length.
import { afterEach, describe, expect, it } from 'vitest';
import { startFeedServer, type FeedServer } from './feed-server.test-support.ts';
import { decodeDocument, fetchDocument } from './http.ts';
import { NewsFeedError } from './reasons.ts';

describe('decodeDocument', () => {
  // "Société" in ISO-8859-1: é is the single byte 0xE9 (ISO/IEC 8859-1 code table).
  const latin1 = Uint8Array.from([0x53, 0x6f, 0x63, 0x69, 0xe9, 0x74, 0xe9]);

  it('uses the Content-Type charset', () => {
    expect(decodeDocument(latin1, 'application/xml; charset=ISO-8859-1')).toBe('Soci\u00e9t\u00e9');
  });

  it('falls back to the XML declaration, then UTF-8', () => {
    const declared = new TextEncoder().encode('<?xml version="1.0" encoding="ISO-8859-1"?><t>');
    const bytes = new Uint8Array([...declared, ...latin1]);
    expect(decodeDocument(bytes, 'text/xml')).toBe(
      '<?xml version="1.0" encoding="ISO-8859-1"?><t>Soci\u00e9t\u00e9',
    );
    // UTF-8 of é is C3 A9; as undeclared bytes 0xE9 alone is invalid UTF-8 and becomes U+FFFD.
    expect(decodeDocument(Uint8Array.from([0xc3, 0xa9, 0xe9]), null)).toBe('\u00e9\ufffd');
  });

  it('lets a byte-order mark win and strips it', () => {
    expect(
      decodeDocument(Uint8Array.from([0xef, 0xbb, 0xbf, 0x3c, 0x61]), 'text/xml; charset=iso-8859-1'),
    ).toBe('<a');
    // UTF-16LE: FF FE, then "<" as 3C 00.
    expect(decodeDocument(Uint8Array.from([0xff, 0xfe, 0x3c, 0x00]), null)).toBe('<');
  });

  it('reads an unknown charset label as UTF-8', () => {
    expect(decodeDocument(new TextEncoder().encode('caf\u00e9'), 'text/xml; charset=x-unknown')).toBe(
      'caf\u00e9',
    );
  });
});

describe('fetchDocument', () => {
  let server: FeedServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('stops reading a streamed body past the cap', async () => {
    // writeHead without a content-length: Node sends the body chunked, so only the streamed count can stop it.
    server = await startFeedServer(() => ({ status: 200, body: 'x'.repeat(64 * 1024) }));
    const request = {
      source: 'big',
      url: `${server.url}/feed`,
      validators: {},
      timeoutMs: 5_000,
      maxBytes: 1024,
      signal: new AbortController().signal,
      headers: {},
    };
    const error = await fetchDocument(request).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(NewsFeedError);
    expect((error as NewsFeedError).code).toBe('NEWS_TOO_LARGE');
    expect((error as NewsFeedError).message).toContain('more than 1024');
  });

  it('masks a password in the URL it names', async () => {
    server = await startFeedServer(() => ({ status: 404 }));
    const url = `${server.url}/feed?password=secret`;
    const error = await fetchDocument({
      source: 'private',
      url,
      validators: {},
      timeoutMs: 5_000,
      maxBytes: 1024,
      signal: new AbortController().signal,
      headers: {},
    }).catch((thrown: unknown) => thrown as NewsFeedError);
    expect(error).toBeInstanceOf(NewsFeedError);
    expect((error as NewsFeedError).message).toContain('HTTP 404 Not Found');
    expect((error as NewsFeedError).message).not.toContain('secret');
  });
});
