// Access control for the API and the WebSocket gateway: the roles and what each may do, API tokens for scripts,
// dashboard sessions and one-time WebSocket tickets (each secret shown once, kept only as its SHA-256), and
// per-credential rate limits. The HTTP side (hooks, routes, audit) is auth-routes.ts.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type {
  AccessRole,
  AccessStore,
  ActiveToken,
  ControlAuditEntry,
  TokenRecord,
  UserRecord,
} from '../store/store.ts';

export type Role = AccessRole;
export const ROLES: readonly Role[] = ['viewer', 'trader', 'risk-officer', 'admin'];

/** What a request may do; each route and control key needs one (docs/security.md has the table). */
export const Permissions = {
  read: 'read the API (orders, fills, positions, risk, control state, audit) and the live channels',
  strategyToggle: 'enable or disable a strategy (strategy:enabled)',
  killSwitch: 'engage or release the kill switch (policy:kill_switch), flatten positions (/hedge/flatten)',
  routeOverride: "reroute a venue's flow (policy:route_override, policy:latency_routing)",
  limits: 'switch market-data sources (feed:active) and change risk limits',
  reconcile: 'run a reconciliation or the stress scenarios (POST /reconcile, /scenario/run)',
  access: 'add users, change roles, issue and revoke tokens',
  unlisted: 'a mutating route that declares no permission (admin only)',
} as const;
export type Permission = keyof typeof Permissions;

const ALL_PERMISSIONS = Object.keys(Permissions) as Permission[];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set<Permission>(['read']),
  trader: new Set<Permission>(['read', 'strategyToggle']),
  'risk-officer': new Set<Permission>([
    'read',
    'strategyToggle',
    'killSwitch',
    'routeOverride',
    'limits',
    'reconcile',
  ]),
  admin: new Set<Permission>(ALL_PERMISSIONS),
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/** The permission a control-plane key needs (common/topics.ts ControlKeys); undefined for an unknown key. */
export function controlPermission(key: string): Permission | undefined {
  switch (key) {
    case 'policy:kill_switch':
      return 'killSwitch';
    case 'strategy:enabled':
      return 'strategyToggle';
    case 'policy:route_override':
    case 'policy:latency_routing':
      return 'routeOverride';
    case 'feed:active':
    case 'policy:trading_state':
      return 'limits';
    default:
      return undefined;
  }
}

/** Who made a request, as the server established it. */
export interface Principal {
  readonly user: string;
  readonly role: Role;
  /** token (bearer), session (dashboard cookie), ticket (WebSocket), socket (the local control channel). */
  readonly via: 'token' | 'session' | 'ticket' | 'socket';
  /** The token or session id (never the secret): the rate-limit key and the audit's handle. */
  readonly credentialId: string;
}

// ---- secrets ----

const SECRET_PREFIX: Readonly<Record<TokenRecord['kind'], string>> = {
  api: 'hft_',
  session: 'hfs_',
  ws: 'hfw_',
};
const ID_PREFIX: Readonly<Record<TokenRecord['kind'], string>> = { api: 'tok', session: 'ses', ws: 'wst' };
/** 32 random bytes, base64url: 43 characters after the prefix. */
const SECRET_PATTERN = /^hf[tsw]_[A-Za-z0-9_-]{43}$/;
const SECRET_ANYWHERE = /hf[tsw]_[A-Za-z0-9_-]{20,}/g;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function isSecretShaped(value: string): boolean {
  return SECRET_PATTERN.test(value);
}

/** Replaces anything shaped like a token, session or ticket secret, for logs and error text. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_ANYWHERE, (s) => `${s.slice(0, 4)}[redacted]`);
}

function newSecret(kind: TokenRecord['kind']): string {
  return SECRET_PREFIX[kind] + randomBytes(32).toString('base64url');
}

function newId(kind: TokenRecord['kind']): string {
  return `${ID_PREFIX[kind]}_${randomBytes(8).toString('hex')}`;
}

/** The CSRF value of a session: derived from its secret, so the server keeps nothing more. */
export function csrfOf(sessionSecret: string): string {
  return createHash('sha256').update('hf-csrf\0').update(sessionSecret).digest('base64url');
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// ---- errors ----

export const AccessErrors = {
  ACCESS_BAD_NAME: 'a user name is 1 to 64 characters: lower case letters, digits, ".", "_", "-"',
  ACCESS_BAD_ROLE: `a role is one of ${ROLES.join(', ')}`,
  ACCESS_USER_EXISTS: 'a user with this name exists',
  ACCESS_NO_USER: 'no such user',
  ACCESS_USER_DISABLED: 'the user is disabled',
  ACCESS_NO_TOKEN: 'no such token (or already revoked)',
  ACCESS_BAD_LABEL: 'a label is at most 100 printable characters',
  ACCESS_BAD_TTL: 'ttlDays is a whole number of days from 1 to 3650',
} as const;
export type AccessErrorCode = keyof typeof AccessErrors;

export class AccessError extends Error {
  constructor(
    readonly code: AccessErrorCode,
    detail?: string,
  ) {
    super(`${code}: ${AccessErrors[code]}${detail ? ` (${detail})` : ''}`);
    this.name = 'AccessError';
  }
}

const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const LABEL = /^[\x20-\x7e]{0,100}$/;

// ---- the service ----

export interface AccessControlOptions {
  /** Unix ms (default Date.now): expiry is decided on this clock. */
  readonly now?: () => number;
  /** Dashboard session lifetime (default 12 h). */
  readonly sessionTtlMs?: number;
  /** WebSocket ticket lifetime (default 60 s): fetched right before connecting, used once. */
  readonly ticketTtlMs?: number;
  /** A verified credential is trusted this long without asking the store again (default 5 s). */
  readonly cacheMs?: number;
}

export interface IssuedToken {
  readonly id: string;
  readonly user: string;
  readonly role: Role;
  /** The secret: shown once, never stored. */
  readonly token: string;
  readonly label: string;
  readonly expiresMs: number | null;
}

export interface OpenedSession {
  readonly secret: string;
  readonly principal: Principal;
  readonly csrf: string;
  readonly expiresMs: number;
}

/** A token as listed: everything but its hash. */
export type TokenView = Omit<TokenRecord, 'hash'>;

const CACHE_LIMIT = 10_000;

export class AccessControl {
  private readonly now: () => number;
  private readonly sessionTtlMs: number;
  private readonly ticketTtlMs: number;
  private readonly cacheMs: number;
  /** sha256(secret) -> principal, for credentials verified in the last cacheMs. */
  private readonly cache = new Map<
    string,
    { principal: Principal; until: number; expiresMs: number | null }
  >();
  private lastPrune = 0;

  constructor(
    readonly store: AccessStore,
    options: AccessControlOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.sessionTtlMs = options.sessionTtlMs ?? 12 * 3600_000;
    this.ticketTtlMs = options.ticketTtlMs ?? 60_000;
    this.cacheMs = options.cacheMs ?? 5_000;
  }

  // ---- users ----

  async addUser(name: string, role: string): Promise<UserRecord> {
    if (!USER_NAME.test(name)) throw new AccessError('ACCESS_BAD_NAME');
    if (!isRole(role)) throw new AccessError('ACCESS_BAD_ROLE');
    const user: UserRecord = { name, role, createdMs: this.now(), disabledMs: null };
    if (!(await this.store.addUser(user))) throw new AccessError('ACCESS_USER_EXISTS', name);
    return user;
  }

  /** Changes a role or enables / disables a user; returns the user as it now is. */
  async updateUser(
    name: string,
    change: { readonly role?: string; readonly disabled?: boolean },
  ): Promise<UserRecord> {
    if (change.role !== undefined && !isRole(change.role)) throw new AccessError('ACCESS_BAD_ROLE');
    const updated = await this.store.updateUser(name, {
      ...(change.role !== undefined ? { role: change.role } : {}),
      ...(change.disabled !== undefined ? { disabledMs: change.disabled ? this.now() : null } : {}),
    });
    if (!updated) throw new AccessError('ACCESS_NO_USER', name);
    this.cache.clear();
    const user = (await this.store.loadUsers()).find((u) => u.name === name);
    if (!user) throw new AccessError('ACCESS_NO_USER', name);
    return user;
  }

  users(): Promise<UserRecord[]> {
    return this.store.loadUsers();
  }

  // ---- API tokens ----

  async createToken(
    userName: string,
    options: { readonly label?: string; readonly ttlDays?: number } = {},
  ): Promise<IssuedToken> {
    const label = options.label ?? '';
    if (!LABEL.test(label)) throw new AccessError('ACCESS_BAD_LABEL');
    const ttlDays = options.ttlDays;
    if (ttlDays !== undefined && (!Number.isInteger(ttlDays) || ttlDays < 1 || ttlDays > 3650))
      throw new AccessError('ACCESS_BAD_TTL');
    const user = (await this.store.loadUsers()).find((u) => u.name === userName);
    if (!user) throw new AccessError('ACCESS_NO_USER', userName);
    if (user.disabledMs !== null) throw new AccessError('ACCESS_USER_DISABLED', userName);
    const now = this.now();
    const token = newSecret('api');
    const record: TokenRecord = {
      id: newId('api'),
      user: user.name,
      kind: 'api',
      label,
      hash: hashSecret(token),
      parentId: null,
      createdMs: now,
      expiresMs: ttlDays === undefined ? null : now + ttlDays * 86_400_000,
      revokedMs: null,
    };
    await this.store.addToken(record);
    return { id: record.id, user: user.name, role: user.role, token, label, expiresMs: record.expiresMs };
  }

  /** Revokes a token and the sessions and tickets opened with it; returns every id revoked. */
  async revokeToken(id: string): Promise<string[]> {
    const revoked = await this.store.revokeToken(id, this.now());
    if (revoked.length === 0) throw new AccessError('ACCESS_NO_TOKEN', id);
    this.cache.clear();
    return revoked;
  }

  async tokens(user?: string): Promise<TokenView[]> {
    const out: TokenView[] = [];
    for (const { hash: _hash, ...view } of await this.store.loadTokens(user)) out.push(view);
    return out;
  }

  // ---- authentication ----

  /** The principal of an API token or a session secret, or undefined (unknown, revoked, expired, disabled). */
  async authenticate(secret: string): Promise<Principal | undefined> {
    if (!isSecretShaped(secret) || secret.startsWith(SECRET_PREFIX.ws)) return undefined;
    const hash = hashSecret(secret);
    const now = this.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now && (cached.expiresMs === null || cached.expiresMs > now))
      return cached.principal;
    const active = await this.store.findActiveToken(hash, now);
    if (!active || active.token.kind === 'ws') {
      this.cache.delete(hash);
      return undefined;
    }
    const principal = principalOf(active, active.token.kind === 'session' ? 'session' : 'token');
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(hash, { principal, until: now + this.cacheMs, expiresMs: active.token.expiresMs });
    return principal;
  }

  /** A dashboard session from an API token (the login form); undefined when the token does not authenticate. */
  async openSession(apiToken: string): Promise<OpenedSession | undefined> {
    if (!apiToken.startsWith(SECRET_PREFIX.api)) return undefined;
    const parent = await this.authenticate(apiToken);
    if (!parent) return undefined;
    const now = this.now();
    await this.prune(now);
    const secret = newSecret('session');
    const record: TokenRecord = {
      id: newId('session'),
      user: parent.user,
      kind: 'session',
      label: 'dashboard',
      hash: hashSecret(secret),
      parentId: parent.credentialId,
      createdMs: now,
      expiresMs: now + this.sessionTtlMs,
      revokedMs: null,
    };
    await this.store.addToken(record);
    return {
      secret,
      principal: { user: parent.user, role: parent.role, via: 'session', credentialId: record.id },
      csrf: csrfOf(secret),
      expiresMs: now + this.sessionTtlMs,
    };
  }

  /** Ends a session (logout): revoked at once in this process, within cacheMs in others. */
  async closeSession(sessionSecret: string): Promise<void> {
    const principal = await this.authenticate(sessionSecret);
    if (!principal || principal.via !== 'session') return;
    await this.store.revokeToken(principal.credentialId, this.now());
    this.cache.clear();
  }

  /** The expiry of a session (for the dashboard), or undefined. */
  async sessionExpiry(sessionSecret: string): Promise<number | undefined> {
    if (!sessionSecret.startsWith(SECRET_PREFIX.session) || !isSecretShaped(sessionSecret)) return undefined;
    const active = await this.store.findActiveToken(hashSecret(sessionSecret), this.now());
    return active?.token.expiresMs ?? undefined;
  }

  /** A one-time WebSocket ticket for a principal (browsers cannot set headers on a WebSocket). */
  async issueTicket(principal: Principal): Promise<{ readonly ticket: string; readonly expiresMs: number }> {
    const now = this.now();
    const ticket = newSecret('ws');
    await this.store.addToken({
      id: newId('ws'),
      user: principal.user,
      kind: 'ws',
      label: 'websocket',
      hash: hashSecret(ticket),
      parentId: principal.credentialId,
      createdMs: now,
      expiresMs: now + this.ticketTtlMs,
      revokedMs: null,
    });
    return { ticket, expiresMs: now + this.ticketTtlMs };
  }

  /** Redeems a ticket once; a second use, an expired or a revoked one gives undefined. */
  async redeemTicket(ticket: string): Promise<Principal | undefined> {
    if (!isSecretShaped(ticket) || !ticket.startsWith(SECRET_PREFIX.ws)) return undefined;
    const active = await this.store.consumeToken(hashSecret(ticket), 'ws', this.now());
    return active ? principalOf(active, 'ticket') : undefined;
  }

  // ---- audit ----

  audit(entry: Omit<ControlAuditEntry, 'tsMs'>): Promise<void> {
    return this.store.appendControlAudit({ tsMs: this.now(), ...entry });
  }

  /** Expired sessions and tickets are deleted a day after expiry, at most once an hour. */
  private async prune(now: number): Promise<void> {
    if (now - this.lastPrune < 3600_000) return;
    this.lastPrune = now;
    await this.store.pruneTokens(now - 86_400_000);
  }
}

function principalOf(active: ActiveToken, via: Principal['via']): Principal {
  return { user: active.user.name, role: active.user.role, via, credentialId: active.token.id };
}

// ---- rate limits ----

/**
 * A token bucket per key (a credential id, or a client address before authentication): `burst` requests at
 * once, refilled at `perSecond`. take() answers 0 when the request may go, else the ms until it may.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new Error('rate limit: perSecond > 0 and burst >= 1');
  }

  take(key: string): number {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= CACHE_LIMIT) this.evictFull(now);
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      const refill = ((now - bucket.at) / 1000) * this.perSecond;
      bucket.tokens = Math.min(this.burst, bucket.tokens + Math.max(0, refill));
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / this.perSecond) * 1000);
  }

  private evictFull(now: number): void {
    for (const [key, bucket] of this.buckets)
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    if (this.buckets.size >= CACHE_LIMIT) this.buckets.clear();
  }
}

// ---- request credentials ----

export const SESSION_COOKIE = 'hf_session';
export const CSRF_HEADER = 'x-hf-csrf';

/** Cookie values by name (the first of a repeated name wins); malformed pairs are skipped. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (out.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    out.set(name, value);
  }
  return out;
}

export function sessionCookie(secret: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}

/** `Authorization: Bearer <secret>`, or undefined. */
export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * Authenticates a WebSocket upgrade: a one-time `?ticket=` (browsers), else `Authorization: Bearer` (scripts),
 * else the dashboard's session cookie.
 */
export function wsAuthenticator(
  access: AccessControl,
): (request: IncomingMessage) => Promise<Principal | undefined> {
  return async (request) => {
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    if (query >= 0) {
      const ticket = new URLSearchParams(url.slice(query + 1)).get('ticket');
      if (ticket !== null) return access.redeemTicket(ticket);
    }
    const bearer = bearerOf(request.headers.authorization);
    if (bearer !== undefined) return access.authenticate(bearer);
    const session = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    if (session !== undefined) return access.authenticate(session);
    return undefined;
  };
}
