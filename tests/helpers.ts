// Test helpers for end-to-end tests: run the real `hf` CLI as a child process in a private home.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';

export const ROOT = resolve(import.meta.dirname, '..');
export const HF = join(ROOT, 'bin', 'hf.mjs');

export function tempHome(prefix = 'hf-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Spawned {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number>;
}

export function spawnHf(args: readonly string[], env: NodeJS.ProcessEnv = {}): Spawned {
  // The embedded deployment unless a test asks for Redis / PostgreSQL: the caller's REDIS_URL and DATABASE_URL
  // (set to give tests a server) must not turn every `hf run` into a distributed one.
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  delete inherited.REDIS_URL;
  delete inherited.DATABASE_URL;
  const child = spawn(process.execPath, [HF, ...args], {
    cwd: ROOT,
    env: { ...inherited, HF_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const spawned: Spawned = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise<number>((r) => child.on('exit', (code, signal) => r(code ?? (signal ? 128 : 1)))),
  };
  child.stdout.on('data', (d: Buffer) => (spawned.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (spawned.stderr += d.toString()));
  return spawned;
}

export async function runHf(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const s = spawnHf(args, env);
  const code = await s.exited;
  return { code, stdout: s.stdout, stderr: s.stderr };
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

/** A loopback port free at the time of the call. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
