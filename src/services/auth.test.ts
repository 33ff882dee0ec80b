// Access control: the role table, token secrets kept only as hashes, revocation (cascading to sessions and
// tickets), expiry on the injected clock, dashboard sessions, one-time WebSocket tickets, the rate limiter.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteStore } from '../store/pglite.ts';
import {
  AccessControl,
  AccessError,
  bearerOf,
  can,
  controlPermission,
  csrfOf,
  parseCookies,
  Permissions,
  RateLimiter,
  redactSecrets,
  ROLES,
  sessionCookie,
  type Permission,
  type Role,
} from './auth.ts';

let store: PgliteStore;
let now = 1_800_000_000_000;
const clock = (): number => now;

beforeAll(async () => {
  store = await PgliteStore.open();
});
afterAll(async () => store.close());

describe('roles', () => {
  // The issue's table: viewer reads; trader toggles strategies; risk officer has the kill switch, route
  // overrides and limits (and what a trader may do); admin manages users and tokens, and everything else.
  const expected: Readonly<Record<Role, readonly Permission[]>> = {
    viewer: ['read'],
    trader: ['read', 'strategyToggle'],
    'risk-officer': ['read', 'strategyToggle', 'killSwitch', 'routeOverride', 'limits', 'reconcile'],
    admin: Object.keys(Permissions) as Permission[],
  };

  it('grants each role exactly its permissions', () => {
    for (const role of ROLES)
      for (const permission of Object.keys(Permissions) as Permission[])
        expect(can(role, permission), `${role} ${permission}`).toBe(expected[role].includes(permission));
  });

  it('maps every control key to the permission it needs', () => {
    expect(controlPermission('policy:kill_switch')).toBe('killSwitch');
    expect(controlPermission('strategy:enabled')).toBe('strategyToggle');
    expect(controlPermission('policy:route_override')).toBe('routeOverride');
    expect(controlPermission('policy:latency_routing')).toBe('routeOverride');
    expect(controlPermission('feed:active')).toBe('limits');
    expect(controlPermission('policy:nope')).toBeUndefined();
  });
});

describe('AccessControl', () => {
  const access = (): AccessControl => new AccessControl(store, { now: clock, cacheMs: 5_000 });

  it('refuses bad names, unknown roles and a taken name, naming the rule', async () => {
    const a = access();
    await expect(a.addUser('Bad Name', 'viewer')).rejects.toThrow(/ACCESS_BAD_NAME/);
    await expect(a.addUser('ok-name', 'superuser')).rejects.toThrow(/ACCESS_BAD_ROLE/);
    await a.addUser('taken', 'viewer');
    const duplicate = await a.addUser('taken', 'admin').catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(AccessError);
    expect((duplicate as AccessError).code).toBe('ACCESS_USER_EXISTS');
    await expect(a.createToken('nobody')).rejects.toThrow(/ACCESS_NO_USER/);
    await expect(a.createToken('taken', { ttlDays: 0 })).rejects.toThrow(/ACCESS_BAD_TTL/);
  });

  it('keeps only the SHA-256 of a token: the secret is in no stored column', async () => {
    const a = access();
    await a.addUser('hashed', 'trader');
    const issued = await a.createToken('hashed', { label: 'script' });
    expect(issued.token).toMatch(/^hft_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(issued.token.slice(4), 'base64url')).toHaveLength(32);
    const stored = (await store.loadTokens('hashed')).find((t) => t.id === issued.id);
    expect(stored?.hash).toBe(createHash('sha256').update(issued.token).digest('hex'));
    expect(JSON.stringify(await store.loadTokens())).not.toContain(issued.token.slice(4));
    expect(JSON.stringify(await a.tokens('hashed'))).not.toContain(stored?.hash ?? 'x');
    expect(await a.authenticate(issued.token)).toEqual({
      user: 'hashed',
      role: 'trader',
      via: 'token',
      credentialId: issued.id,
    });
    // One character changed (the last one encodes 4 bits, so it is 'A' one time in 16: change it to another).
    const altered = `${issued.token.slice(0, -1)}${issued.token.endsWith('A') ? 'E' : 'A'}`;
    expect(await a.authenticate(altered)).toBeUndefined();
    expect(await a.authenticate('not a token')).toBeUndefined();
  });

  it('stops authenticating a revoked token, its sessions and tickets', async () => {
    const a = access();
    await a.addUser('revoked', 'risk-officer');
    const issued = await a.createToken('revoked');
    const session = await a.openSession(issued.token);
    expect(session?.principal.via).toBe('session');
    const ticket = await a.issueTicket(session!.principal);
    const ids = await a.revokeToken(issued.id);
    expect(ids.sort()).toHaveLength(3);
    expect(await a.authenticate(issued.token)).toBeUndefined();
    expect(await a.authenticate(session!.secret)).toBeUndefined();
    expect(await a.redeemTicket(ticket.ticket)).toBeUndefined();
    await expect(a.revokeToken(issued.id)).rejects.toThrow(/ACCESS_NO_TOKEN/);
  });

  it('a revocation made elsewhere holds here once the cache window passes', async () => {
    const here = access();
    const elsewhere = access();
    await here.addUser('cached', 'viewer');
    const issued = await here.createToken('cached');
    expect(await here.authenticate(issued.token)).toBeDefined();
    await elsewhere.revokeToken(issued.id);
    now += 4_999;
    expect(await here.authenticate(issued.token)).toBeDefined(); // within cacheMs (5 s)
    now += 2;
    expect(await here.authenticate(issued.token)).toBeUndefined();
  });

  it('expires tokens after ttlDays and sessions after their lifetime, on the injected clock', async () => {
    const a = new AccessControl(store, { now: clock, cacheMs: 0, sessionTtlMs: 60_000 });
    await a.addUser('expiring', 'viewer');
    const issued = await a.createToken('expiring', { ttlDays: 1 });
    expect(issued.expiresMs).toBe(now + 86_400_000);
    const session = await a.openSession(issued.token);
    now += 59_999;
    expect(await a.authenticate(session!.secret)).toBeDefined();
    now += 1;
    expect(await a.authenticate(session!.secret)).toBeUndefined();
    now += 86_400_000 - 60_000 - 1;
    expect(await a.authenticate(issued.token)).toBeDefined();
    now += 1;
    expect(await a.authenticate(issued.token)).toBeUndefined();
  });

  it('opens sessions only from API tokens, closes them on logout, and follows role changes', async () => {
    const a = new AccessControl(store, { now: clock, cacheMs: 0 });
    await a.addUser('sessions', 'viewer');
    const issued = await a.createToken('sessions');
    const session = await a.openSession(issued.token);
    expect(session?.csrf).toBe(csrfOf(session!.secret));
    expect(await a.openSession(session!.secret)).toBeUndefined();
    await a.updateUser('sessions', { role: 'trader' });
    expect((await a.authenticate(session!.secret))?.role).toBe('trader');
    await a.updateUser('sessions', { disabled: true });
    expect(await a.authenticate(issued.token)).toBeUndefined();
    await a.updateUser('sessions', { disabled: false });
    await a.closeSession(session!.secret);
    expect(await a.authenticate(session!.secret)).toBeUndefined();
    expect(await a.authenticate(issued.token)).toBeDefined();
  });

  it('redeems a WebSocket ticket once, never after it expires, and never as a bearer token', async () => {
    const a = new AccessControl(store, { now: clock, ticketTtlMs: 60_000 });
    await a.addUser('tickets', 'viewer');
    const principal = (await a.authenticate((await a.createToken('tickets')).token))!;
    const first = await a.issueTicket(principal);
    expect(first.ticket).toMatch(/^hfw_/);
    expect(await a.authenticate(first.ticket)).toBeUndefined();
    expect(await a.redeemTicket(first.ticket)).toMatchObject({ user: 'tickets', via: 'ticket' });
    expect(await a.redeemTicket(first.ticket)).toBeUndefined();
    const late = await a.issueTicket(principal);
    now += 60_000;
    expect(await a.redeemTicket(late.ticket)).toBeUndefined();
  });
});

describe('RateLimiter', () => {
  it('lets a burst through, then one request per refill interval', () => {
    let t = 0;
    const limiter = new RateLimiter(2, 3, () => t); // 2 a second: one token every 500 ms
    expect([limiter.take('k'), limiter.take('k'), limiter.take('k')]).toEqual([0, 0, 0]);
    expect(limiter.take('k')).toBe(500); // empty: one token is 500 ms away
    t = 250;
    expect(limiter.take('k')).toBe(250); // half a token refilled: 250 ms more
    t = 500;
    expect(limiter.take('k')).toBe(0); // the one token
    expect(limiter.take('other')).toBe(0); // buckets are per key
    t = 10_000;
    expect([limiter.take('k'), limiter.take('k'), limiter.take('k'), limiter.take('k')]).toEqual([
      0, 0, 0, 500,
    ]);
  });
});

describe('credentials on the wire', () => {
  it('reads bearer headers and cookies, and never lets a secret into a log line', () => {
    expect(bearerOf('Bearer hft_abc')).toBe('hft_abc');
    expect(bearerOf('bearer   hft_abc  ')).toBe('hft_abc');
    expect(bearerOf('Basic dXNlcg==')).toBeUndefined();
    expect(bearerOf(undefined)).toBeUndefined();
    const cookies = parseCookies('a=1; hf_session=hfs_x; hf_session=second; broken; q="quoted"');
    expect(cookies.get('hf_session')).toBe('hfs_x');
    expect(cookies.get('q')).toBe('quoted');
    expect(cookies.has('broken')).toBe(false);
    const secret = `hft_${'A'.repeat(43)}`;
    expect(redactSecrets(`token ${secret} refused`)).toBe('token hft_[redacted] refused');
    expect(sessionCookie('hfs_x', 60, true)).toBe(
      'hf_session=hfs_x; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure',
    );
    expect(csrfOf('hfs_a')).not.toBe(csrfOf('hfs_b'));
  });
});
