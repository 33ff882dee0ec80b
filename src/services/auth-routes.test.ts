// The API's security layer on a real kernel (in process): 401/403 with clear bodies and nothing changed,
// authorisation per control key and role, the audit trail (denied attempts too), sessions with CSRF, origins,
// headers, rate limits, error bodies without secrets, and a fast-check fuzz of every mutating route's body:
// never a 5xx, never a change without the permission for it.
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../common/clock.ts';
import { CONTROL_KEYS } from '../common/topics.ts';
import { Kernel } from '../kernel/kernel.ts';
import { PgliteStore } from '../store/pglite.ts';
import { buildApi } from './api.ts';
import { AccessControl, type Role } from './auth.ts';
import type { ApiSecuritySettings } from './auth-routes.ts';

const CONFIGS = join(import.meta.dirname, '..', '..', 'configs');

let kernel: Kernel;
let store: PgliteStore;
let access: AccessControl;
const tokens = new Map<Role, string>();

beforeAll(async () => {
  store = await PgliteStore.open();
  access = new AccessControl(store);
  kernel = await Kernel.create({
    mode: 'paper',
    configDir: CONFIGS,
    clock: new SimulatedClock(1_704_153_600_000_000),
    seed: 3,
  });
  await kernel.start();
  for (const [name, role] of [
    ['vera', 'viewer'],
    ['tom', 'trader'],
    ['rick', 'risk-officer'],
    ['ada', 'admin'],
  ] as const) {
    await access.addUser(name, role);
    tokens.set(role, (await access.createToken(name)).token);
  }
}, 120_000);

afterAll(async () => {
  await kernel.stop();
  await store.close();
});

function api(settings: ApiSecuritySettings = {}): FastifyInstance {
  return buildApi(kernel, {
    allowControl: true,
    access: {
      mode: 'required',
      control: access,
      settings: { dashboardDir: false, allowedOrigins: ['http://localhost:3000'], ...settings },
    },
  });
}

function bearer(role: Role): Record<string, string> {
  return { authorization: `Bearer ${tokens.get(role) ?? ''}` };
}

function control(): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const key of CONTROL_KEYS) out[key] = { ...kernel.bus.control.getAll(key) };
  return out;
}

const KILL = { key: 'policy:kill_switch', field: 'enabled', value: 'true', reason: 'drill' };

describe('authentication', () => {
  it('answers 401 with a clear body without a credential, and serves /health and /openapi.json to anyone', async () => {
    const app = api();
    const anonymous = await app.inject({ method: 'GET', url: '/api/summary' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'AUTH_REQUIRED' });
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="hf"');
    const forged = await app.inject({
      method: 'GET',
      url: '/api/summary',
      headers: { authorization: `Bearer hft_${'x'.repeat(43)}` },
    });
    expect(forged.statusCode).toBe(401);
    expect(forged.body).not.toContain('x'.repeat(43));
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const doc = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(doc.statusCode).toBe(200);
    const paths = Object.keys(doc.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/control', '/api/orders/{id}', '/auth/login', '/api/audit']),
    );
  });

  it('sets the security headers on every answer', async () => {
    const response = await api().inject({ method: 'GET', url: '/health' });
    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    expect(String(response.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  });
});

describe('authorisation of control', () => {
  // Which roles may set which key (the issue's table): the rest get 403 and the state does not move.
  const cases: readonly [Record<string, string | null>, readonly Role[]][] = [
    [KILL, ['risk-officer', 'admin']],
    [{ key: 'strategy:enabled', field: 'sma-cross', value: 'false' }, ['trader', 'risk-officer', 'admin']],
    [{ key: 'policy:route_override', field: 'SIM-A', value: 'SIM-B' }, ['risk-officer', 'admin']],
    [{ key: 'policy:latency_routing', field: 'SIM-A', value: 'off' }, ['risk-officer', 'admin']],
    [{ key: 'feed:active', field: 'AAPL.SIM-A', value: 'backup' }, ['risk-officer', 'admin']],
  ];

  it('lets each role set only its keys, and audits every attempt with old and new values', async () => {
    const app = api();
    for (const [body, allowed] of cases)
      for (const role of ['viewer', 'trader', 'risk-officer', 'admin'] as const) {
        const key = body.key as string;
        const field = body.field as string;
        await kernel.bus.control.delete(key, field);
        const before = control();
        const response = await app.inject({
          method: 'POST',
          url: '/control',
          headers: bearer(role),
          payload: body,
        });
        const [entry] = await store.loadControlAudit(1);
        if (allowed.includes(role)) {
          expect(response.statusCode, `${role} ${key}`).toBe(200);
          expect(kernel.bus.control.get(key, field)).toBe(body.value);
          expect(entry).toMatchObject({
            key,
            field,
            oldValue: null,
            newValue: body.value,
            outcome: 'applied',
            role,
          });
        } else {
          expect(response.statusCode, `${role} ${key}`).toBe(403);
          expect(response.json()).toMatchObject({ code: 'AUTH_FORBIDDEN', role });
          expect(control()).toEqual(before);
          expect(entry).toMatchObject({ key, field, newValue: body.value, outcome: 'denied', role });
        }
        await kernel.bus.control.delete(key, field);
      }
  });

  it('needs a reason for the kill switch, and names the field of a value that does not fit the key', async () => {
    const app = api();
    const headers = bearer('risk-officer');
    const noReason = await app.inject({
      method: 'POST',
      url: '/control',
      headers,
      payload: { ...KILL, reason: ' ' },
    });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json()).toMatchObject({ field: 'reason' });
    const strategy = await app.inject({
      method: 'POST',
      url: '/control',
      headers,
      payload: { key: 'strategy:enabled', field: 'no-such', value: 'true' },
    });
    expect(strategy.json()).toMatchObject({ field: 'field', code: 'API_BAD_REQUEST' });
    const loop = await app.inject({
      method: 'POST',
      url: '/control',
      headers,
      payload: { key: 'policy:route_override', field: 'SIM-A', value: 'SIM-A' },
    });
    expect(loop.json()).toMatchObject({ field: 'value' });
    const unknown = await app.inject({
      method: 'POST',
      url: '/control',
      headers,
      payload: { ...KILL, extra: 1 },
    });
    expect(unknown.json()).toMatchObject({ field: 'extra', reason: 'unknown field' });
    const malformed = await app.inject({
      method: 'POST',
      url: '/control',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: '{"key":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(kernel.bus.control.get('policy:kill_switch', 'enabled')).toBeUndefined();
  });

  it('audits an anonymous control attempt as denied', async () => {
    const response = await api().inject({ method: 'POST', url: '/control', payload: KILL });
    expect(response.statusCode).toBe(401);
    expect((await store.loadControlAudit(1))[0]).toMatchObject({
      actor: 'anonymous',
      action: 'POST /control',
      outcome: 'denied',
      detail: 'no credential',
    });
  });
});

describe('sessions, origins, limits', () => {
  it('logs in with a token into an http-only, secure, same-site cookie; a mutation needs its CSRF header', async () => {
    const app = api();
    const login = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { token: tokens.get('trader') },
    });
    expect(login.statusCode).toBe(200);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(
      /^hf_session=hfs_[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/,
    );
    const session = login.json<{ role: string; csrf: string; permissions: string[] }>();
    expect(session).toMatchObject({ role: 'trader', permissions: ['read', 'strategyToggle'] });
    const headers = { cookie: cookie.split(';')[0] ?? '' };
    expect((await app.inject({ method: 'GET', url: '/api/summary', headers })).statusCode).toBe(200);
    const body = { key: 'strategy:enabled', field: 'mm-msft', value: 'false' };
    const noCsrf = await app.inject({ method: 'POST', url: '/control', headers, payload: body });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json()).toMatchObject({ code: 'AUTH_CSRF' });
    expect(kernel.bus.control.get('strategy:enabled', 'mm-msft')).toBeUndefined();
    const ok = await app.inject({
      method: 'POST',
      url: '/control',
      headers: { ...headers, 'x-hf-csrf': session.csrf },
      payload: body,
    });
    expect(ok.statusCode).toBe(200);
    await kernel.bus.control.delete('strategy:enabled', 'mm-msft');
    const ticket = await app.inject({
      method: 'POST',
      url: '/auth/ws-ticket',
      headers: { ...headers, 'x-hf-csrf': session.csrf },
    });
    expect(ticket.json<{ ticket: string }>().ticket).toMatch(/^hfw_/);
    await app.inject({ method: 'POST', url: '/auth/logout', headers });
    expect((await app.inject({ method: 'GET', url: '/api/summary', headers })).statusCode).toBe(401);
    const bad = await app.inject({ method: 'POST', url: '/auth/login', payload: { token: 'hft_wrong' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toMatchObject({ code: 'AUTH_INVALID_TOKEN' });
  });

  it('answers CORS only to allowed origins and refuses a mutation from another', async () => {
    const app = api();
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/control',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    const evil = await app.inject({
      method: 'OPTIONS',
      url: '/control',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(evil.statusCode).toBe(403);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const forged = await app.inject({
      method: 'POST',
      url: '/control',
      headers: { ...bearer('admin'), origin: 'https://evil.example' },
      payload: KILL,
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.json()).toMatchObject({ code: 'AUTH_ORIGIN_NOT_ALLOWED' });
    expect(kernel.bus.control.get('policy:kill_switch', 'enabled')).toBeUndefined();
    const sameOrigin = await app.inject({
      method: 'GET',
      url: '/api/control',
      headers: { ...bearer('viewer'), origin: 'http://api.internal:8000', host: 'api.internal:8000' },
    });
    expect(sameOrigin.statusCode).toBe(200);
  });

  it('limits each credential to its rate, with Retry-After', async () => {
    const app = api({ rateLimit: { perSecond: 0.5, burst: 2 } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (await app.inject({ method: 'GET', url: '/api/control', headers: bearer('viewer') })).statusCode,
      );
    const limited = await app.inject({ method: 'GET', url: '/api/control', headers: bearer('viewer') });
    expect(statuses).toEqual([200, 200, 429]);
    expect(limited.headers['retry-after']).toBe('2');
    expect(
      (await app.inject({ method: 'GET', url: '/api/control', headers: bearer('trader') })).statusCode,
    ).toBe(200);
  });

  it('answers a failure with a generic 500 that echoes no secret', async () => {
    const app = api();
    app.get('/api/boom', async () => {
      throw new Error(`store said: bad token ${tokens.get('admin') ?? ''}`);
    });
    const response = await app.inject({ method: 'GET', url: '/api/boom', headers: bearer('viewer') });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: 'internal error (logged on the server)', code: 'API_INTERNAL' });
  });
});

describe('user and token administration', () => {
  it('is for admins only; a viewer is refused and audited', async () => {
    const app = api();
    const refused = await app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer('viewer'),
      payload: { name: 'mallory', role: 'admin' },
    });
    expect(refused.statusCode).toBe(403);
    expect((await access.users()).map((u) => u.name)).not.toContain('mallory');
    expect((await store.loadControlAudit(1))[0]).toMatchObject({ actor: 'vera', outcome: 'denied' });
    const created = await app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer('admin'),
      payload: { name: 'nora', role: 'viewer', issueToken: true },
    });
    expect(created.statusCode).toBe(201);
    const { token } = created.json<{ token: { id: string; token: string } }>();
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/control',
          headers: { authorization: `Bearer ${token.token}` },
        })
      ).statusCode,
    ).toBe(200);
    const listed = await app.inject({
      method: 'GET',
      url: '/api/tokens?user=nora',
      headers: bearer('admin'),
    });
    expect(listed.body).not.toContain(token.token);
    expect(listed.body).not.toContain('hash');
    const revoked = await app.inject({
      method: 'DELETE',
      url: `/api/tokens/${token.id}`,
      headers: bearer('admin'),
    });
    expect(revoked.json()).toEqual({ revoked: [token.id] });
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/control',
          headers: { authorization: `Bearer ${token.token}` },
        })
      ).statusCode,
    ).toBe(401);
    const last = await app.inject({
      method: 'PATCH',
      url: '/api/users/ada',
      headers: bearer('admin'),
      payload: { role: 'viewer' },
    });
    expect(last.statusCode).toBe(409);
  });
});

describe('fuzzing request bodies', () => {
  const MUTATING = [
    '/control',
    '/reconcile',
    '/api/users',
    '/api/tokens',
    '/auth/login',
    '/auth/logout',
    '/auth/ws-ticket',
  ];
  const who = fc.constantFrom<Role | 'none' | 'forged'>(
    'none',
    'forged',
    'viewer',
    'trader',
    'risk-officer',
    'admin',
  );
  const controlLike = fc.record(
    {
      key: fc.oneof(fc.constantFrom(...CONTROL_KEYS), fc.string()),
      field: fc.oneof(fc.constantFrom('enabled', 'sma-cross', 'SIM-A', 'SIM-B', 'AAPL.SIM-A'), fc.string()),
      value: fc.oneof(fc.constantFrom('true', 'false', 'SIM-B', 'on', 'backup', null), fc.jsonValue()),
      reason: fc.oneof(fc.string(), fc.jsonValue()),
      extra: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );
  // Well-formed control requests too, so the runs reach the authorisation check and not only the schema.
  const wellFormed = fc.record({
    key: fc.constantFrom(...CONTROL_KEYS),
    field: fc.constantFrom('enabled', 'sma-cross', 'arb-aapl', 'SIM-A', 'SIM-B', 'AAPL.SIM-A'),
    value: fc.constantFrom('true', 'false', 'SIM-A', 'SIM-B', 'on', 'off', 'primary', 'backup', null),
    reason: fc.string({ maxLength: 20 }),
  });
  const body = fc.oneof(
    { arbitrary: wellFormed, weight: 3 },
    controlLike,
    fc.jsonValue(),
    fc.record({ name: fc.string(), role: fc.string(), issueToken: fc.jsonValue() }, { requiredKeys: [] }),
    fc.record({ user: fc.string(), label: fc.jsonValue(), ttlDays: fc.jsonValue() }, { requiredKeys: [] }),
  );
  const raw = fc.oneof(
    body.map((b) => JSON.stringify(b)),
    fc.string(),
  );

  it('never answers 5xx, and nothing changes without the permission for it', async () => {
    const app = api({
      rateLimit: { perSecond: 1e6, burst: 1e6 },
      anonymousRateLimit: { perSecond: 1e6, burst: 1e6 },
    });
    const usersBefore = (await access.users()).length;
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ arbitrary: fc.constant('/control'), weight: 3 }, fc.constantFrom(...MUTATING)),
        who,
        raw,
        fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, fc.constant(false)),
        async (url, caller, payload, json) => {
          const before = control();
          const users = (await access.users()).length;
          const tokenCount = (await store.loadTokens()).filter((t) => t.kind === 'api').length;
          const headers: Record<string, string> =
            caller === 'none'
              ? {}
              : caller === 'forged'
                ? { authorization: `Bearer hft_${'f'.repeat(43)}` }
                : bearer(caller);
          if (json) headers['content-type'] = 'application/json';
          const response: LightMyRequestResponse = await app.inject({
            method: 'POST',
            url,
            headers,
            payload,
          });
          expect(response.statusCode, `${url} ${caller} ${payload}`).toBeLessThan(500);
          statuses.add(response.statusCode);
          const after = control();
          const changedKeys = CONTROL_KEYS.filter(
            (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]),
          );
          if (caller === 'none' || caller === 'forged' || caller === 'viewer') {
            expect(changedKeys).toEqual([]);
            expect((await access.users()).length).toBe(users);
            expect((await store.loadTokens()).filter((t) => t.kind === 'api').length).toBe(tokenCount);
          }
          if (caller === 'trader') {
            expect(changedKeys.filter((k) => k !== 'strategy:enabled')).toEqual([]);
            expect((await access.users()).length).toBe(users);
          }
          if (changedKeys.length > 0) expect(response.statusCode).toBe(200);
          // Leave the kernel as it was for the next run.
          for (const key of changedKeys)
            for (const field of new Set([
              ...Object.keys(before[key] ?? {}),
              ...Object.keys(after[key] ?? {}),
            ])) {
              const value = before[key]?.[field];
              if (value === undefined) await kernel.bus.control.delete(key, field);
              else await kernel.bus.control.set(key, field, value);
            }
        },
      ),
      { numRuns: 1000, seed: 20_251_129 },
    );
    // The runs reached every kind of answer: accepted, malformed, unauthenticated, forbidden, wrong media type.
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 400, 401, 403, 415]));
    expect((await access.users()).length).toBeGreaterThanOrEqual(usersBefore);
  }, 180_000);
});
