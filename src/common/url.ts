// Connection URLs fit for logs and errors: the password masked, so a message can name the server it could not reach.

const MASK = '****';

/**
 * `postgres://user:secret@host:5432/db` → `postgres://user:****@host:5432/db`; likewise `redis://:secret@host`,
 * a `password=` query parameter, and a libpq `key=value` string's `password=`. Everything else is kept as
 * written. Works on the raw text (never throws, never re-encodes); a password holding an unencoded `@` is
 * masked up to the last `@` of the authority.
 */
export function maskUrl(url: string): string {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return url.replace(/(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, `$1${MASK}`);
  const start = schemeEnd + 3;
  let head = '';
  let tail = url.slice(start);
  const firstAt = url.indexOf('@', start);
  if (firstAt >= 0) {
    // The authority ends at the first '/', '?' or '#' after the first '@'; the credentials at its last '@'.
    let authorityEnd = url.length;
    for (let i = firstAt + 1; i < url.length; i++) {
      const c = url[i];
      if (c === '/' || c === '?' || c === '#') {
        authorityEnd = i;
        break;
      }
    }
    const credentialsEnd = url.lastIndexOf('@', authorityEnd - 1);
    const colon = url.indexOf(':', start);
    head =
      colon >= 0 && colon < credentialsEnd
        ? `${url.slice(start, colon + 1)}${MASK}`
        : url.slice(start, credentialsEnd);
    tail = url.slice(credentialsEnd);
  }
  return `${url.slice(0, start)}${head}${tail.replace(/([?&](?:password|pass)=)[^&#]*/gi, `$1${MASK}`)}`;
}

/**
 * `unix:///run/redis/redis.sock?db=2` (a Redis on the same host, over its Unix socket: no TCP stack per command)
 * → ioredis's form, the socket path with the query (`/run/redis/redis.sock?db=2`; `password=` goes along).
 */
export function unixSocketUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.host !== '' || !parsed.pathname.startsWith('/'))
    throw new Error(`REDIS_URL ${maskUrl(url)}: a unix:// URL names a socket path (unix:///path/redis.sock)`);
  return `${decodeURIComponent(parsed.pathname)}${parsed.search}`;
}

/** REDIS_URL as ioredis takes it: a unix:// URL becomes its socket path, any other URL stays as written. */
export function ioredisUrl(url: string): string {
  return url.startsWith('unix:') ? unixSocketUrl(url) : url;
}
