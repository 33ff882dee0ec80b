// `hf user` and `hf token`: straight in the home's store with nothing running, and through the control socket of
// a running process; a token's secret is printed once and never listed; a revoked token stops authenticating.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../common/clock.ts';
import { Kernel } from '../kernel/kernel.ts';
import { buildApi } from '../services/api.ts';
import { AccessControl } from '../services/auth.ts';
import { PgliteStore } from '../store/pglite.ts';
import { registerUserCommand } from './user-command.ts';

const CONFIGS = join(import.meta.dirname, '..', '..', 'configs');
const SECRET = /hft_[A-Za-z0-9_-]{43}/;

async function hf(home: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const program = new Command('hf')
    .option('--home <dir>')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.push(s.trimEnd()), writeErr: (s) => err.push(s.trimEnd()) });
  registerUserCommand(program, { out: (l) => out.push(l), err: (l) => err.push(l) }, (c) => (code = c));
  await program.parseAsync(['--home', home, ...args], { from: 'user' });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Whether a token authenticates, read from the home's store (after the command closed it). */
async function authenticates(home: string, secret: string): Promise<boolean> {
  const store = await PgliteStore.open(join(home, 'access'));
  try {
    return (await new AccessControl(store).authenticate(secret)) !== undefined;
  } finally {
    await store.close();
  }
}

describe('hf user / hf token with nothing running', () => {
  const home = mkdtempSync(join(tmpdir(), 'hf-users-'));

  it('adds a user and prints its token once; a second add of the name fails', async () => {
    const added = await hf(home, 'user', 'add', 'ann', '--role', 'trader');
    expect(added.code).toBe(0);
    expect(added.out).toContain('user ann added, role trader');
    expect(added.out).toContain('shown once');
    const secret = SECRET.exec(added.out)?.[0];
    expect(secret).toBeDefined();
    expect(await authenticates(home, secret!)).toBe(true);
    const again = await hf(home, 'user', 'add', 'ann', '--role', 'admin');
    expect(again.code).toBe(2);
    expect(again.err).toContain('ACCESS_USER_EXISTS');
    await expect(hf(home, 'user', 'add', 'bob', '--role', 'root')).rejects.toThrow(
      /Allowed choices are viewer/,
    );
  }, 120_000);

  it('issues, lists (never the secret) and revokes tokens', async () => {
    const created = await hf(home, 'token', 'create', 'ann', '--label', 'ci', '--ttl-days', '30', '--json');
    const token = JSON.parse(created.out) as { id: string; token: string; expiresMs: number; label: string };
    expect(token).toMatchObject({ label: 'ci' });
    expect(token.expiresMs).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const listed = await hf(home, 'token', 'list', 'ann');
    expect(listed.out).toContain(token.id);
    expect(listed.out).not.toMatch(SECRET);
    const users = await hf(home, 'user', 'list', '--json');
    expect(JSON.parse(users.out)).toEqual([expect.objectContaining({ name: 'ann', role: 'trader' })]);
    const revoked = await hf(home, 'token', 'revoke', token.id);
    expect(revoked.out).toContain(`revoked ${token.id}`);
    expect(await authenticates(home, token.token)).toBe(false);
    const unknown = await hf(home, 'token', 'revoke', 'tok_0000000000000000');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('ACCESS_NO_TOKEN');
  }, 120_000);
});

describe('hf user through the control socket of a running process', () => {
  const home = mkdtempSync(join(tmpdir(), 'hf-users-live-'));
  let store: PgliteStore | undefined;
  let kernel: Kernel | undefined;
  let channel: ReturnType<typeof buildApi> | undefined;
  afterAll(async () => {
    await channel?.close();
    await kernel?.stop();
    await store?.close();
  });

  it('goes to the running process, audited as the local user', async () => {
    mkdirSync(home, { recursive: true });
    store = await PgliteStore.open(join(home, 'access'));
    kernel = await Kernel.create({
      mode: 'paper',
      configDir: CONFIGS,
      clock: new SimulatedClock(0),
      seed: 1,
    });
    channel = buildApi(kernel, {
      allowControl: true,
      access: { mode: 'trusted', control: new AccessControl(store) },
    });
    await channel.listen({ path: join(home, 'control.sock') });

    const added = await hf(home, 'user', 'add', 'carl', '--role', 'risk-officer');
    expect(added.code).toBe(0);
    expect(added.out).toContain('(the running hf run)');
    const role = await hf(home, 'user', 'role', 'carl', 'viewer');
    expect(role.out).toBe('user carl: role viewer');
    const disabled = await hf(home, 'user', 'disable', 'carl');
    expect(disabled.out).toBe('user carl disabled');
    const secret = SECRET.exec(added.out)?.[0] ?? '';
    expect(await new AccessControl(store).authenticate(secret)).toBeUndefined();
    const audit = await store.loadControlAudit(10);
    expect(audit.map((a) => a.action)).toEqual(['user.update', 'user.update', 'token.create', 'user.add']);
    expect(audit.every((a) => a.actor.startsWith('local:') && a.via === 'socket')).toBe(true);
  }, 120_000);
});
