// One HTTP GET of a feed document: conditional (ETag / Last-Modified), with a timeout, a size cap and the
// body decoded by its declared charset. Every failure becomes a NewsFeedError naming the source.

import { TextDecoder } from 'node:util';
import { maskUrl } from '../../common/url.ts';
import { NewsFeedError } from './reasons.ts';

/** What the server said identifies this version of the document; sent back to ask "changed since?". */
export interface HttpValidators {
  readonly etag?: string;
  readonly lastModified?: string;
}

export interface FetchDocumentRequest {
  readonly source: string;
  readonly url: string;
  readonly validators: HttpValidators;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Aborts the request (the poller stopping). */
  readonly signal: AbortSignal;
  /** Sent with every request, e.g. `user-agent`, `accept`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

export type FetchedDocument =
  | { readonly notModified: true }
  | { readonly notModified: false; readonly text: string; readonly validators: HttpValidators };

const CHARSET = /charset\s*=\s*"?([\w.:-]+)"?/i;
const XML_ENCODING = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([\w.:-]+)["']/;

function decoderFor(label: string): TextDecoder {
  try {
    return new TextDecoder(label);
  } catch {
    return new TextDecoder('utf-8');
  }
}

/**
 * Text of a document: a byte-order mark wins, then the `Content-Type` charset, then the XML declaration's
 * encoding, then UTF-8. Undecodable bytes become U+FFFD rather than failing the document.
 */
export function decodeDocument(bytes: Uint8Array, contentType: string | null): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return new TextDecoder('utf-8').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  const declared = contentType ? CHARSET.exec(contentType)?.[1] : undefined;
  if (declared) return decoderFor(declared).decode(bytes);
  // The declaration is ASCII in every encoding this reads (UTF-16 is caught by its byte-order mark above).
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 256));
  const encoding = XML_ENCODING.exec(head)?.[1];
  return decoderFor(encoding ?? 'utf-8').decode(bytes);
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

function describeFetchFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

async function readCapped(
  response: Response,
  request: FetchDocumentRequest,
  where: string,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > request.maxBytes) {
    await response.body?.cancel();
    throw new NewsFeedError(
      'NEWS_TOO_LARGE',
      request.source,
      `${where} declares ${declared} bytes, more than ${request.maxBytes}`,
    );
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body) {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > request.maxBytes) {
        await reader.cancel();
        throw new NewsFeedError(
          'NEWS_TOO_LARGE',
          request.source,
          `${where} sent more than ${request.maxBytes} bytes`,
        );
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** GETs `url`; a 304 answer (nothing changed since `validators`) is `{ notModified: true }`. */
export async function fetchDocument(request: FetchDocumentRequest): Promise<FetchedDocument> {
  const { source, url, validators } = request;
  const where = maskUrl(url);
  const headers: Record<string, string> = { ...request.headers };
  if (validators.etag) headers['if-none-match'] = validators.etag;
  if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = AbortSignal.any([request.signal, timeout]);
  const doFetch = request.fetch ?? fetch;
  try {
    const response = await doFetch(url, { headers, signal, redirect: 'follow' });
    if (response.status === 304) {
      await response.body?.cancel();
      return { notModified: true };
    }
    if (!response.ok) {
      await response.body?.cancel();
      const statusText = response.statusText ? ` ${response.statusText}` : '';
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      const detail = `HTTP ${response.status}${statusText} from ${where}`;
      throw retryAfter === undefined
        ? new NewsFeedError('NEWS_HTTP_STATUS', source, detail)
        : new NewsFeedError('NEWS_HTTP_STATUS', source, detail, retryAfter);
    }
    const bytes = await readCapped(response, request, where);
    const etag = response.headers.get('etag');
    const lastModified = response.headers.get('last-modified');
    const next: { etag?: string; lastModified?: string } = {};
    if (etag) next.etag = etag;
    if (lastModified) next.lastModified = lastModified;
    return {
      notModified: false,
      text: decodeDocument(bytes, response.headers.get('content-type')),
      validators: next,
    };
  } catch (error) {
    if (error instanceof NewsFeedError) throw error;
    if (timeout.aborted && !request.signal.aborted)
      throw new NewsFeedError(
        'NEWS_TIMEOUT',
        source,
        `no complete answer from ${where} within ${request.timeoutMs} ms`,
      );
    if (request.signal.aborted)
      throw new NewsFeedError('NEWS_NETWORK', source, `request to ${where} aborted`);
    throw new NewsFeedError('NEWS_NETWORK', source, `cannot fetch ${where}: ${describeFetchFailure(error)}`);
  }
}
