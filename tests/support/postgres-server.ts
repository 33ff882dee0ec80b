// PostgreSQL for tests: a fresh database per call on DATABASE_URL's server, else a private throwaway server.
//
// The private server: `initdb` into a temp dir (trust auth, no fsync), `pg_ctl start` on a free loopback port
// with its socket in that dir, `pg_ctl stop -m immediate` and the dir deleted at the end. PostgreSQL refuses to
// run as root, so as root (CI containers, this machine) initdb and pg_ctl run as the `postgres` user through
// `runuser -u postgres --` (or `su postgres -c`), in a temp dir chowned to it. Binaries are taken from
// /usr/lib/postgresql/<newest>/bin, else from PATH.
//
// No server obtainable: with CI=true the test file fails (never a silent skip); otherwise it is skipped with a
// console warning naming the reason (see `postgresSkipReason`).

import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface TestPostgres {
  /** A fresh database of its own (`hf_test_<random>`), dropped by `stop()`. */
  readonly url: string;
  /** Another fresh database on the same server, dropped by `stop()`. */
  createDatabase(): Promise<string>;
  /** Drops the databases (shared server) or stops the server and deletes its files (private one). */
  stop(): Promise<void>;
}

/** A server of this test file's own: it can be stopped and restarted (same port, same data) for fault tests. */
export interface PrivatePostgres extends TestPostgres {
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server at once (`pg_ctl stop -m immediate`), keeping its data. */
  halt(): Promise<void>;
  /** Starts the halted server again on the same port and data directory; resolves once it accepts connections. */
  restart(): Promise<void>;
}

// ---- availability ----

interface Binaries {
  readonly initdb: string;
  readonly pgCtl: string;
}

function findBinaries(): Binaries | undefined {
  const root = '/usr/lib/postgresql';
  const dirs: string[] = [];
  if (existsSync(root))
    dirs.push(
      ...readdirSync(root)
        .filter((v) => /^\d+(\.\d+)?$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => join(root, v, 'bin')),
    );
  dirs.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  for (const dir of dirs) {
    const initdb = join(dir, 'initdb');
    const pgCtl = join(dir, 'pg_ctl');
    if (existsSync(initdb) && existsSync(pgCtl)) return { initdb, pgCtl };
  }
  return undefined;
}

const isRoot = (): boolean => process.getuid?.() === 0;

function postgresUserIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

function onPath(command: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  return dirs.some((dir) => dir !== '' && existsSync(join(dir, command)));
}

/** Why a private server cannot be started here, or undefined when it can. */
function privateServerProblem(): string | undefined {
  if (!findBinaries())
    return 'no PostgreSQL binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH';
  if (isRoot()) {
    if (!postgresUserIds())
      return 'running as root (PostgreSQL refuses) and there is no `postgres` user to run as';
    if (!onPath('runuser') && !onPath('su')) return 'running as root and neither runuser nor su is available';
  }
  return undefined;
}

/**
 * For `describe.skipIf`: undefined when a server is obtainable (DATABASE_URL set, or a private server can be
 * started; `private: true` requires the latter). Otherwise throws when CI=true, else warns and returns the reason.
 */
export function postgresSkipReason(options: { readonly private?: boolean } = {}): string | undefined {
  if (!options.private && process.env.DATABASE_URL) return undefined;
  const problem = privateServerProblem();
  if (!problem) return undefined;
  const reason = `${options.private ? 'a private PostgreSQL server' : 'PostgreSQL'} is not available: ${problem}${
    options.private ? '' : '; set DATABASE_URL to a server to run these tests'
  }`;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${reason}`);
  console.warn(`[postgres tests skipped] ${reason}`);
  return reason;
}

// ---- databases ----

function databaseName(): string {
  return `hf_test_${randomBytes(6).toString('hex')}`;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onServer<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

class DatabaseSet {
  private readonly names: string[] = [];
  constructor(private readonly serverUrl: string) {}

  async create(): Promise<string> {
    const name = databaseName();
    await onServer(this.serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
    this.names.push(name);
    return withDatabase(this.serverUrl, name);
  }

  async dropAll(): Promise<void> {
    if (this.names.length === 0) return;
    const names = this.names.splice(0);
    await onServer(this.serverUrl, async (client) => {
      for (const name of names) {
        await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        await client.query(`DROP DATABASE IF EXISTS ${name}`);
      }
    });
  }
}

// ---- the private server ----

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
async function runAsOwner(binary: string, args: readonly string[]): Promise<void> {
  try {
    if (!isRoot()) await run(binary, [...args]);
    else if (onPath('runuser')) await run('runuser', ['-u', 'postgres', '--', binary, ...args]);
    else await run('su', ['postgres', '-c', [binary, ...args].map(shellQuote).join(' ')]);
  } catch (error) {
    const e = error as { stderr?: string; message?: string };
    throw new Error(`${binary} ${args.join(' ')} failed: ${e.stderr || e.message || String(error)}`);
  }
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

const running = new Set<PrivateServer>();
let exitHookInstalled = false;

/** A test process that dies without its afterAll still stops its servers. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const server of running) server.stopSync();
  });
}

class PrivateServer implements PrivatePostgres {
  private databases: DatabaseSet;
  private up = false;
  url = '';

  constructor(
    private readonly binaries: Binaries,
    private readonly dir: string,
    readonly port: number,
  ) {
    this.databases = new DatabaseSet(this.serverUrl);
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get serverUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async init(): Promise<void> {
    await runAsOwner(this.binaries.initdb, [
      '-D',
      this.dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
  }

  async restart(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await runAsOwner(this.binaries.pgCtl, [
      '-D',
      this.dataDir,
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      options,
      'start',
    ]);
    this.up = true;
    running.add(this);
    await this.waitUntilAccepting();
  }

  async halt(): Promise<void> {
    if (!this.up) return;
    await runAsOwner(this.binaries.pgCtl, ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    this.up = false;
    running.delete(this);
  }

  createDatabase(): Promise<string> {
    return this.databases.create();
  }

  async stop(): Promise<void> {
    try {
      await this.halt();
    } finally {
      running.delete(this);
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  stopSync(): void {
    try {
      const args = ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop'];
      if (!isRoot()) execFileSync(this.binaries.pgCtl, args, { stdio: 'ignore' });
      else if (onPath('runuser'))
        execFileSync('runuser', ['-u', 'postgres', '--', this.binaries.pgCtl, ...args], { stdio: 'ignore' });
      else execFileSync('su', ['postgres', '-c', [this.binaries.pgCtl, ...args].map(shellQuote).join(' ')]);
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitUntilAccepting(): Promise<void> {
    let last: unknown;
    for (let i = 0; i < 100; i++) {
      try {
        await onServer(this.serverUrl, (client) => client.query('SELECT 1'));
        return;
      } catch (error) {
        last = error;
        await sleep(100);
      }
    }
    throw new Error(`private PostgreSQL on port ${this.port} does not accept connections: ${String(last)}`);
  }
}

/** Starts a private server (see the header) with one fresh database; throws when that is impossible. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const problem = privateServerProblem();
  const binaries = findBinaries();
  if (problem || !binaries) throw new Error(`cannot start a private PostgreSQL: ${problem ?? 'no binaries'}`);
  const dir = mkdtempSync(join(tmpdir(), 'hf-pg-'));
  try {
    if (isRoot()) {
      const owner = postgresUserIds()!;
      chownSync(dir, owner.uid, owner.gid);
    }
    installExitHook();
    await new PrivateServer(binaries, dir, 0).init();
    let lastError: unknown;
    // The free port can be taken between probing and binding: try a few.
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = new PrivateServer(binaries, dir, await freePort());
      try {
        await server.restart();
        server.url = await server.createDatabase();
        return server;
      } catch (error) {
        lastError = error;
        await server.halt().catch(() => undefined);
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A fresh database for one test file: on DATABASE_URL's server when set (so files never share state), else
 * on a private server started for the caller (one per call: call once per file and use `createDatabase`).
 */
export async function postgresForTests(): Promise<TestPostgres> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return startPrivatePostgres();
  const databases = new DatabaseSet(serverUrl);
  const url = await databases.create();
  return { url, createDatabase: () => databases.create(), stop: () => databases.dropAll() };
}
