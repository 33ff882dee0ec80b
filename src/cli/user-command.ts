// `hf user` and `hf token`: the API's users, their roles and their tokens. Through the running `hf run`'s
// control socket when one runs, else straight in the store (PostgreSQL when DATABASE_URL is set, else the
// PGlite in the platform home). A token's secret is printed once, at creation; only its hash is kept.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { Argument, Option, type Command } from 'commander';
import { maskUrl } from '../common/url.ts';
import { AccessControl, AccessError, ROLES, type IssuedToken, type TokenView } from '../services/auth.ts';
import { callChannel, ChannelUnavailable } from '../services/control-channel.ts';
import { PgliteStore } from '../store/pglite.ts';
import { PostgresStore } from '../store/postgres.ts';
import type { Store, UserRecord } from '../store/store.ts';
import { resolvePaths, type CliIo, type CliPaths } from './context.ts';

/** What the commands need, over the control socket or on the store directly. */
interface AccessBackend {
  readonly where: string;
  addUser(
    name: string,
    role: string,
    token: boolean,
    label: string,
  ): Promise<{ user: UserRecord; token?: IssuedToken }>;
  users(): Promise<UserRecord[]>;
  updateUser(name: string, change: { role?: string; disabled?: boolean }): Promise<UserRecord>;
  createToken(user: string, label: string, ttlDays: number | undefined): Promise<IssuedToken>;
  tokens(user: string | undefined): Promise<TokenView[]>;
  revokeToken(id: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * PATCH and DELETE over the control channel: callChannel hands its method to http.request unchanged; its type
 * lists only the two methods the other commands use.
 */
function callWith<T>(socket: string, method: 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return callChannel<T>(socket, method as unknown as 'POST', path, body);
}

function socketBackend(socket: string): AccessBackend {
  return {
    where: 'the running hf run',
    addUser: (name, role, token, label) =>
      callChannel(socket, 'POST', '/api/users', {
        name,
        role,
        issueToken: token,
        ...(label ? { label } : {}),
      }),
    users: () => callChannel(socket, 'GET', '/api/users'),
    updateUser: (name, change) => callWith(socket, 'PATCH', `/api/users/${encodeURIComponent(name)}`, change),
    createToken: (user, label, ttlDays) =>
      callChannel(socket, 'POST', '/api/tokens', {
        user,
        ...(label ? { label } : {}),
        ...(ttlDays !== undefined ? { ttlDays } : {}),
      }),
    tokens: (user) =>
      callChannel(
        socket,
        'GET',
        `/api/tokens${user === undefined ? '' : `?user=${encodeURIComponent(user)}`}`,
      ),
    revokeToken: async (id) =>
      (await callWith<{ revoked: string[] }>(socket, 'DELETE', `/api/tokens/${encodeURIComponent(id)}`))
        .revoked,
    close: async () => undefined,
  };
}

function localActor(): string {
  try {
    return `local:${userInfo().username}`;
  } catch {
    return 'local:unknown';
  }
}

async function storeBackend(paths: CliPaths): Promise<AccessBackend> {
  const url = process.env.DATABASE_URL;
  if (!url) mkdirSync(paths.home, { recursive: true });
  const store: Store = url
    ? await PostgresStore.open(url)
    : await PgliteStore.open(join(paths.home, 'access'));
  const access = new AccessControl(store);
  const audit = (action: string, field: string, newValue: string, outcome: 'applied' | 'failed') =>
    access.audit({
      actor: localActor(),
      role: 'admin',
      via: 'cli',
      action,
      key: null,
      field,
      oldValue: null,
      newValue,
      reason: null,
      outcome,
      detail: null,
      remote: null,
    });
  return {
    where: url ? maskUrl(url) : join(paths.home, 'access'),
    async addUser(name, role, token, label) {
      const user = await access.addUser(name, role);
      await audit('user.add', name, role, 'applied');
      if (!token) return { user };
      const issued = await access.createToken(name, { label });
      await audit('token.create', name, issued.id, 'applied');
      return { user, token: issued };
    },
    users: () => access.users(),
    async updateUser(name, change) {
      const user = await access.updateUser(name, change);
      await audit(
        'user.update',
        name,
        `${user.role}${user.disabledMs === null ? '' : ' (disabled)'}`,
        'applied',
      );
      return user;
    },
    async createToken(user, label, ttlDays) {
      const issued = await access.createToken(user, { label, ...(ttlDays !== undefined ? { ttlDays } : {}) });
      await audit('token.create', user, issued.id, 'applied');
      return issued;
    },
    tokens: (user) => access.tokens(user),
    async revokeToken(id) {
      const revoked = await access.revokeToken(id);
      await audit('token.revoke', id, `revoked ${revoked.length}`, 'applied');
      return revoked;
    },
    close: () => store.close(),
  };
}

/** The running process's socket, else the store. */
async function withBackend(
  paths: CliPaths,
  run: (backend: AccessBackend) => Promise<number>,
): Promise<number> {
  const viaSocket = socketBackend(paths.socket);
  try {
    return await run(viaSocket);
  } catch (error) {
    if (!(error instanceof ChannelUnavailable)) throw error;
  }
  const direct = await storeBackend(paths);
  try {
    return await run(direct);
  } finally {
    await direct.close();
  }
}

function describeError(error: unknown): string {
  if (error instanceof AccessError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  // The control channel answers "control channel: <status> <error>".
  return message.replace(/^control channel: \d+ /, '');
}

function printToken(io: CliIo, token: IssuedToken): void {
  io.out(
    `token ${token.id} for ${token.user} (${token.role})${token.expiresMs === null ? '' : `, expires ${new Date(token.expiresMs).toISOString()}`}:`,
  );
  io.out(`  ${token.token}`);
  io.out(
    `shown once: store it now (a lost token cannot be recovered: revoke it with hf token revoke ${token.id})`,
  );
}

function userLine(user: UserRecord): string {
  return `${user.name.padEnd(24)} ${user.role.padEnd(13)} ${user.disabledMs === null ? 'enabled' : 'disabled'}  since ${new Date(user.createdMs).toISOString()}`;
}

function tokenLine(token: TokenView, nowMs: number): string {
  const state =
    token.revokedMs !== null
      ? `revoked ${new Date(token.revokedMs).toISOString()}`
      : token.expiresMs !== null && token.expiresMs <= nowMs
        ? 'expired'
        : 'active';
  return `${token.id}  ${token.kind.padEnd(7)} ${token.user.padEnd(24)} ${state.padEnd(32)} ${token.label}`;
}

function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1`);
    return n;
  };
}

export function registerUserCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const paths = (): CliPaths => resolvePaths(program.opts<{ home?: string; config?: string }>());
  const act = async (run: (backend: AccessBackend) => Promise<number>, what: string): Promise<void> => {
    try {
      setExit(await withBackend(paths(), run));
    } catch (error) {
      io.err(`hf ${what}: ${describeError(error)}`);
      setExit(2);
    }
  };

  const user = program
    .command('user')
    .description(`the API's users and their roles (${ROLES.join(', ')}); docs/security.md`);

  user
    .command('add')
    .description(
      'add a user; prints an API token for it once (the first admin: hf user add admin --role admin)',
    )
    .argument('<name>', 'lower case letters, digits, ".", "_", "-"')
    .addOption(new Option('--role <role>', 'what the user may do').choices(ROLES).makeOptionMandatory())
    .option('--label <text>', "the token's label", 'cli')
    .option('--no-token', 'do not issue a token now (hf token create later)')
    .option('--json', 'print {user, token} as JSON')
    .action((name: string, o: { role: string; label: string; token: boolean; json?: boolean }) =>
      act(async (backend) => {
        const added = await backend.addUser(name, o.role, o.token, o.label);
        if (o.json) io.out(JSON.stringify(added));
        else {
          io.out(`user ${added.user.name} added, role ${added.user.role} (${backend.where})`);
          if (added.token) printToken(io, added.token);
        }
        return 0;
      }, 'user add'),
    );

  user
    .command('list')
    .description('list users')
    .option('--json', 'as JSON')
    .action((o: { json?: boolean }) =>
      act(async (backend) => {
        const users = await backend.users();
        if (o.json) io.out(JSON.stringify(users));
        else if (users.length === 0) io.out('no users (hf user add <name> --role admin creates the first)');
        else for (const u of users) io.out(userLine(u));
        return 0;
      }, 'user list'),
    );

  user
    .command('role')
    .description("change a user's role (effective within seconds, on every session and token)")
    .argument('<name>')
    .addArgument(new Argument('<role>', 'the new role').choices(ROLES))
    .action((name: string, role: string) =>
      act(async (backend) => {
        const updated = await backend.updateUser(name, { role });
        io.out(`user ${updated.name}: role ${updated.role}`);
        return 0;
      }, 'user role'),
    );

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const)
    user
      .command(verb)
      .description(
        disabled ? 'disable a user: none of its tokens or sessions authenticates' : 'enable a user again',
      )
      .argument('<name>')
      .action((name: string) =>
        act(async (backend) => {
          const updated = await backend.updateUser(name, { disabled });
          io.out(`user ${updated.name} ${disabled ? 'disabled' : 'enabled'}`);
          return 0;
        }, `user ${verb}`),
      );

  const token = program.command('token').description('API tokens: issue (shown once), list, revoke');

  token
    .command('create')
    .description('issue an API token for a user (printed once; only its hash is stored)')
    .argument('<user>')
    .option('--label <text>', 'what it is for', 'cli')
    .option('--ttl-days <days>', 'expire after this many days (default: never)', positiveInteger('ttl-days'))
    .option('--json', 'print the token as JSON')
    .action((name: string, o: { label: string; ttlDays?: number; json?: boolean }) =>
      act(async (backend) => {
        const issued = await backend.createToken(name, o.label, o.ttlDays);
        if (o.json) io.out(JSON.stringify(issued));
        else printToken(io, issued);
        return 0;
      }, 'token create'),
    );

  token
    .command('list')
    .description('list tokens, sessions and tickets (never their secrets)')
    .argument('[user]')
    .option('--json', 'as JSON')
    .action((name: string | undefined, o: { json?: boolean }) =>
      act(async (backend) => {
        const tokens = await backend.tokens(name);
        if (o.json) io.out(JSON.stringify(tokens));
        else if (tokens.length === 0) io.out('no tokens');
        else for (const t of tokens) io.out(tokenLine(t, Date.now()));
        return 0;
      }, 'token list'),
    );

  token
    .command('revoke')
    .description('revoke a token and every session and ticket opened with it')
    .argument('<id>', 'the token id, e.g. tok_3f9a0c21d4e5b678 (hf token list)')
    .action((id: string) =>
      act(async (backend) => {
        const revoked = await backend.revokeToken(id);
        io.out(
          `revoked ${id}${revoked.length > 1 ? ` and ${revoked.length - 1} session(s)/ticket(s) opened with it` : ''}`,
        );
        return 0;
      }, 'token revoke'),
    );
}
