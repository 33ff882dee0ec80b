// The distributed deployment's store: PostgreSQL through `pg`, with the SQL (SqlStore) and migrations PGlite runs.
//
// Connections. One dedicated connection carries every call, one call at a time, in call order (as PGlite
// does): each write is a single statement, atomic on its own, so no transaction spans calls and commit order
// is call order (event log appends, order upserts). A pool would reorder concurrent calls and buy nothing at
// one writer per service. Migrations run on a short-lived connection of their own, under a session advisory
// lock, so processes starting together migrate one after another and never inside the store's connection.
// A connection that drops fails the call in flight (StoreUnavailableError) and the next call reconnects; a
// write whose connection dropped may or may not have committed, which the ledger's idempotent writes absorb.

import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ConfigError } from '../common/errors.ts';
import { silentLogger, type Logger } from '../common/logging.ts';
import { maskUrl } from '../common/url.ts';
import { runMigrations, type SqlExecutor } from './migrate.ts';
import { SqlStore, type SqlDriver } from './sql-store.ts';

export interface PostgresRetryOptions {
  /** Connection attempts in all: 1 = no retry, Infinity = until the database is reachable. */
  readonly attempts: number;
  /** The wait after the first failure; doubled after each further one, up to `maxDelayMs`. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export interface PostgresStoreOptions {
  readonly logger?: Logger;
  /** Gives up on a connection attempt after this long (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /** Retries with backoff while `open` cannot reach the database (default: one attempt). */
  readonly retry?: PostgresRetryOptions;
}

export const STORE_UNAVAILABLE = 'STORE_UNAVAILABLE';

/** The database could not be reached, or the connection dropped during the call (it may have committed). */
export class StoreUnavailableError extends Error {
  readonly code = STORE_UNAVAILABLE;
  constructor(
    /** The URL with its password masked. */
    readonly url: string,
    cause: unknown,
    detail = '',
  ) {
    super(`${STORE_UNAVAILABLE}: PostgreSQL at ${url} unavailable${detail}: ${messageOf(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Held for the whole migration run; the runner also takes a per-migration lock (another key) inside. */
const MIGRATION_SESSION_LOCK_KEY = 7_245_517_000;
const INT8_OID = 20;
const NUMERIC_OID = 1700;

function asText(value: string): string {
  return value;
}

/**
 * INT8 and NUMERIC stay text (exact; the store converts: BigInt for money, Number for µs times), per client,
 * so a process-wide `pg.types.setTypeParser` elsewhere cannot make money lossy.
 */
const processParser = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown;
const EXACT_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (oid === INT8_OID || oid === NUMERIC_OID) && format !== 'binary'
      ? asText
      : processParser(oid, format)) as typeof pg.types.getTypeParser,
};

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up or shutting down)
  '53300', // too_many_connections
]);

/** Whether an error means the connection is gone (as opposed to a statement the database refused). */
function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true;
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  return /Connection terminated|not queryable|timeout expired|Query read timeout/.test(error.message);
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return error.errors.map(messageOf).join('; ');
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (error.message) return error.message;
    return typeof code === 'string' ? code : error.name;
  }
  return String(error);
}

/** The store's one connection: opened on first use, calls run one at a time, reopened after a drop. */
class PostgresConnection implements SqlDriver {
  private client: pg.Client | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    readonly maskedUrl: string,
    private readonly log: Logger,
  ) {}

  exec(sql: string): Promise<unknown> {
    return this.enqueue(() => this.run(sql, undefined));
  }

  query<Row = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<{ readonly rows: readonly Row[] }> {
    return this.enqueue(() => this.run(sql, params)) as Promise<{ readonly rows: readonly Row[] }>;
  }

  /** Connects now unless connected (through the queue, so it never races a call). */
  connect(): Promise<void> {
    return this.enqueue(async () => {
      await this.current();
    });
  }

  /** Waits for the calls already queued, then closes; later calls are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  /** A new client outside the queue (the migration runner's own session). */
  async openClient(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    client.on('error', (error) => this.lost(client, error));
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new StoreUnavailableError(this.maskedUrl, error);
    }
    return client;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed)
      return Promise.reject(new StoreUnavailableError(this.maskedUrl, new Error('the store is closed')));
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** The open client, connecting first when there is none (the first call, or the first after a drop). */
  private async current(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = await this.openClient();
    this.client = client;
    this.log.info('connected to PostgreSQL', { url: this.maskedUrl });
    return client;
  }

  private async run(sql: string, params: readonly unknown[] | undefined): Promise<unknown> {
    const client = await this.current();
    try {
      return await (params === undefined ? client.query(sql) : client.query(sql, params as unknown[]));
    } catch (error) {
      if (this.client === client && !isConnectionError(error)) throw error;
      this.lost(client, error);
      throw new StoreUnavailableError(this.maskedUrl, error);
    }
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.client === client) {
      this.client = undefined;
      this.log.warn('connection to PostgreSQL lost; reconnecting on the next call', {
        code: STORE_UNAVAILABLE,
        url: this.maskedUrl,
        error: messageOf(error),
      });
    }
    client.end().catch(() => undefined);
  }
}

function executorOf(client: pg.Client): SqlExecutor {
  return {
    exec: (sql) => client.query(sql),
    query: async <Row>(sql: string, params?: readonly unknown[]) => {
      const result = params === undefined ? await client.query(sql) : await client.query(sql, [...params]);
      return { rows: result.rows as Row[] };
    },
  };
}

function checkRetry(retry: PostgresRetryOptions | undefined): PostgresRetryOptions {
  if (!retry) return { attempts: 1, initialDelayMs: 0, maxDelayMs: 0 };
  const bad = (key: string, problem: string): ConfigError =>
    new ConfigError('PostgresStore', `retry.${key}`, problem);
  if (
    !(Number.isInteger(retry.attempts) || retry.attempts === Number.POSITIVE_INFINITY) ||
    retry.attempts < 1
  )
    throw bad('attempts', 'must be an integer ≥ 1, or Infinity');
  if (!Number.isFinite(retry.initialDelayMs) || retry.initialDelayMs < 0)
    throw bad('initialDelayMs', 'must be a finite number ≥ 0');
  if (!Number.isFinite(retry.maxDelayMs) || retry.maxDelayMs < retry.initialDelayMs)
    throw bad('maxDelayMs', 'must be a finite number ≥ initialDelayMs');
  return retry;
}

export class PostgresStore extends SqlStore {
  /** The URL with its password masked, for logs and status pages. */
  readonly maskedUrl: string;
  /** Raw SQL on the store's connection (tests, tools), queued with the store's own calls. */
  readonly db: SqlExecutor;
  private readonly connection: PostgresConnection;

  private constructor(connection: PostgresConnection) {
    super(connection);
    this.connection = connection;
    this.db = connection;
    this.maskedUrl = connection.maskedUrl;
  }

  /**
   * Connects (retrying with backoff when `options.retry` asks), applies pending migrations, returns the store.
   * Rejects with a ConfigError for a URL that is not `postgres://` / `postgresql://`, a StoreUnavailableError
   * naming the masked URL when the database cannot be reached, a MigrationError when a migration fails.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const maskedUrl = maskUrl(String(url));
    const retry = checkRetry(options.retry);
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs <= 0)
      throw new ConfigError('PostgresStore', 'connectTimeoutMs', 'must be a finite number > 0');
    const config: pg.ClientConfig = {
      connectionString: url,
      connectionTimeoutMillis: Math.ceil(connectTimeoutMs),
      keepAlive: true,
      types: EXACT_TYPES,
    };
    if (typeof url !== 'string' || !/^postgres(ql)?:\/\//i.test(url))
      throw new ConfigError('DATABASE_URL', '', `not a postgres:// or postgresql:// URL: ${maskedUrl}`);
    try {
      new pg.Client(config); // parses the URL; connects nothing
    } catch (error) {
      throw new ConfigError('DATABASE_URL', '', `cannot parse ${maskedUrl}: ${messageOf(error)}`);
    }
    const log = (options.logger ?? silentLogger).child('postgres');
    const store = new PostgresStore(new PostgresConnection(config, maskedUrl, log));
    for (let attempt = 1; ; attempt++) {
      try {
        await store.connection.connect();
        await store.migrate();
        return store;
      } catch (error) {
        if (!(error instanceof StoreUnavailableError) || attempt >= retry.attempts) {
          await store.close();
          if (error instanceof StoreUnavailableError && attempt > 1)
            throw new StoreUnavailableError(maskedUrl, error.cause, ` after ${attempt} attempts`);
          throw error;
        }
        const delayMs = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (attempt - 1));
        log.warn('PostgreSQL unavailable; retrying', {
          code: STORE_UNAVAILABLE,
          url: maskedUrl,
          attempt,
          of: Number.isFinite(retry.attempts) ? retry.attempts : 'unlimited',
          delayMs,
          error: messageOf(error.cause),
        });
        await sleep(delayMs);
      }
    }
  }

  /** Applies pending migrations on a connection of its own, holding the migration lock throughout. */
  override async migrate(): Promise<void> {
    const client = await this.connection.openClient();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_SESSION_LOCK_KEY]);
      await runMigrations(executorOf(client));
    } catch (error) {
      throw isConnectionError(error) ? new StoreUnavailableError(this.maskedUrl, error) : error;
    } finally {
      // Ending the session releases the lock, whatever happened.
      await client.end().catch(() => undefined);
    }
  }
}
