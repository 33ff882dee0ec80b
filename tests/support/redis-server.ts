// Redis for tests and benches: the server named by REDIS_URL, or a private `redis-server` on a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface TestRedis {
  readonly url: string;
  stop(): Promise<void>;
}

export interface PrivateRedis extends TestRedis {
  readonly port: number;
  /** Stops the server (its data is gone: no persistence) and starts a fresh one on the same port. */
  restart(): Promise<void>;
  /** Stops the server and leaves it stopped until `start()`. */
  stopServer(): Promise<void>;
  start(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Extra `redis-server` arguments, e.g. `['--rename-command', 'CONFIG', '']`. */
  readonly extraArguments?: readonly string[];
}

/** The absolute path of `redis-server` on PATH, or undefined. */
export function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Why the Redis tests cannot run here, or undefined when they can. Under `CI=true` a missing server is a
 * failure (throws), never a silent skip; elsewhere the reason is printed loudly and the caller skips.
 */
export function redisUnavailableReason(): string | undefined {
  if (process.env.REDIS_URL) return undefined;
  if (findRedisServer()) return undefined;
  const reason = 'no REDIS_URL and no redis-server on PATH: the Redis bus tests cannot run';
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: this is a failure, not a skip)`);
  console.warn(`\n!!! SKIPPING REDIS TESTS: ${reason}. Install redis-server or set REDIS_URL. !!!\n`);
  return reason;
}

/** The shared test server: REDIS_URL when set (never stopped by us), else a private server. */
export async function redisForTests(): Promise<TestRedis> {
  const shared = process.env.REDIS_URL;
  if (shared) return { url: shared, stop: () => Promise.resolve() };
  const reason = findRedisServer() ? undefined : 'no REDIS_URL and no redis-server on PATH';
  if (reason) throw new Error(`cannot obtain a Redis server for tests: ${reason}`);
  return startPrivateRedis();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends PING over a raw socket; true when the server answers (`+PONG`, or `-NOAUTH` under requirepass). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts a private `redis-server` (no persistence, temp dir) on a free loopback port and waits for PING. */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const binary = findRedisServer();
  if (!binary) throw new Error('redis-server is not on PATH');
  const dir = mkdtempSync(join(tmpdir(), 'hf-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const start = async (): Promise<void> => {
    if (child) return;
    output = '';
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...(options.extraArguments ?? []),
    ];
    const spawned = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = spawned;
    spawned.stdout.on('data', (d: Buffer) => (output += d.toString()));
    spawned.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let exited = false;
    spawned.once('exit', () => {
      exited = true;
      if (child === spawned) child = undefined;
    });
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      if (exited) throw new Error(`redis-server exited at start on port ${port}:\n${output}`);
      if (await ping(port)) return;
      await sleep(20);
    }
    spawned.kill('SIGKILL');
    throw new Error(`redis-server did not answer PING on port ${port} within 10 s:\n${output}`);
  };

  const stopServer = async (): Promise<void> => {
    const running = child;
    if (!running) return;
    const exited = new Promise<void>((r) => running.once('exit', () => r()));
    running.kill('SIGTERM');
    const timeout = setTimeout(() => running.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timeout);
    child = undefined;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stopServer,
    restart: async () => {
      await stopServer();
      await start();
    },
    stop: async () => {
      await stopServer();
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
