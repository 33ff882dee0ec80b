// The API's security layer, installed by buildApi before any route: authentication (bearer tokens, dashboard
// session cookies with a CSRF header), authorisation by role on every route and per control key, the control
// audit trail, per-credential rate limits, CORS and Origin allow-lists, security headers, strict request
// schemas with 400 {field, reason}, error bodies without secrets, /openapi.json, the login and admin routes,
// and the built dashboard (frontend/dist) at `/`.

import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../kernel/kernel.ts';
import {
  AccessControl,
  AccessError,
  bearerOf,
  can,
  clearedSessionCookie,
  controlPermission,
  CSRF_HEADER,
  csrfOf,
  parseCookies,
  RateLimiter,
  redactSecrets,
  ROLE_PERMISSIONS,
  sameSecret,
  SESSION_COOKIE,
  sessionCookie,
  type Permission,
  type Principal,
} from './auth.ts';
import {
  compileValidator,
  openApiDocument,
  RequestValidationError,
  routeSpec,
  type HttpPart,
  type JsonSchema,
  type RegisteredRoute,
  type RouteAccess,
} from './openapi.ts';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_DASHBOARD_DIR = resolve(PACKAGE_ROOT, 'frontend', 'dist');

export interface ApiSecuritySettings {
  /** Browser origins allowed besides the API's own (CORS, and the Origin check of mutating requests). */
  readonly allowedOrigins?: readonly string[];
  /** Requests per second per credential, and the burst (default 20/s, burst 100). */
  readonly rateLimit?: { readonly perSecond: number; readonly burst: number };
  /** Login attempts and unauthenticated requests per client address (default 1/s, burst 10). */
  readonly anonymousRateLimit?: { readonly perSecond: number; readonly burst: number };
  /** The session cookie's Secure attribute (default true; browsers accept it on http://localhost). */
  readonly secureCookies?: boolean;
  /** The built dashboard served at `/` (default frontend/dist, HF_DASHBOARD_DIR); false: none. */
  readonly dashboardDir?: string | false;
  /** The WebSocket gateway for the dashboard: a full URL, else this port on the page's host (default 8765). */
  readonly wsUrl?: string;
  readonly wsPort?: number;
  readonly now?: () => number;
}

/**
 * How a server authenticates. `required`: every route but /health, /metrics, /openapi.json, the login and the
 * dashboard's files needs a credential (the TCP API). `trusted`: the caller is the machine's user on the
 * local control socket, an admin. `internal`: a distributed service's health port (no credential; cluster
 * network only); schemas and headers still apply.
 */
export type ApiAccess =
  | {
      readonly mode: 'required';
      /** Undefined: nothing can authenticate (503), e.g. a process without a user store. */
      readonly control: AccessControl | undefined;
      readonly settings?: ApiSecuritySettings;
    }
  | { readonly mode: 'trusted'; readonly control?: AccessControl; readonly actor?: string }
  | { readonly mode: 'internal' };

/** The security settings the environment gives: HF_ALLOWED_ORIGINS, HF_DASHBOARD_DIR, HF_DASHBOARD_WS_URL, … */
export function securitySettingsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  extra: ApiSecuritySettings = {},
): ApiSecuritySettings {
  const origins = (env.HF_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  const wsPort = env.HF_WS_PORT === undefined ? undefined : Number(env.HF_WS_PORT);
  return {
    ...extra,
    allowedOrigins: [...(extra.allowedOrigins ?? []), ...origins],
    ...(env.HF_DASHBOARD_DIR ? { dashboardDir: resolve(env.HF_DASHBOARD_DIR) } : {}),
    ...(env.HF_DASHBOARD_WS_URL ? { wsUrl: env.HF_DASHBOARD_WS_URL } : {}),
    ...(wsPort !== undefined && Number.isInteger(wsPort) && wsPort > 0 && extra.wsPort === undefined
      ? { wsPort }
      : {}),
    ...(env.HF_COOKIE_SECURE === 'false' ? { secureCookies: false } : {}),
  };
}

/**
 * Browser origins the dashboard is served from: the API's own port and, outside production, the dev server
 * (:3000), on localhost and 127.0.0.1, plus HF_ALLOWED_ORIGINS (comma-separated).
 */
export function dashboardOrigins(
  apiPort: number,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string[] {
  const out = env.NODE_ENV === 'production' ? [] : ['http://localhost:3000', 'http://127.0.0.1:3000'];
  if (apiPort > 0) out.push(`http://localhost:${apiPort}`, `http://127.0.0.1:${apiPort}`);
  for (const origin of (env.HF_ALLOWED_ORIGINS ?? '').split(','))
    if (origin.trim() !== '') out.push(origin.trim());
  return out;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling (set by the access hooks; null on public routes and internal ports). */
    principal: Principal | null;
    /** A control change being made: for its audit entry once answered. */
    controlChange: ControlChange | null;
  }
}

interface ControlChange {
  readonly action: string;
  readonly key: string | null;
  readonly field: string | null;
  readonly oldValue: string | null;
  readonly requested: string | null;
  readonly reason: string | null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "font-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; " +
  "frame-ancestors 'none'; form-action 'self'";
const DASHBOARD_PREFIXES = ['/api/', '/auth/', '/control', '/reconcile', '/health', '/metrics', '/openapi'];

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/** Routes whose attempts go to the audit trail: control, operations and access management (not logins, reads). */
function auditable(access: RouteAccess): boolean {
  return access !== 'public' && access !== 'read';
}

function isMutating(method: string): boolean {
  return !SAFE_METHODS.has(method);
}

function errorBody(
  code: string,
  error: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { error, code, ...extra };
}

function permissionsOf(principal: Principal): Permission[] {
  return [...ROLE_PERMISSIONS[principal.role]];
}

/** Installs the security layer on a fresh Fastify app (before its routes). */
export function installAccessControl(
  app: FastifyInstance,
  kernel: Kernel,
  given: ApiAccess | undefined,
): void {
  const access: ApiAccess = given ?? {
    mode: 'required',
    control: kernel.store ? new AccessControl(kernel.store) : undefined,
    settings: securitySettingsFromEnv(),
  };
  const logger = kernel.logger.child('api');
  const routes: RegisteredRoute[] = [];
  const accessByRoute = new Map<string, RouteAccess>();

  app.decorateRequest('principal', null);
  app.decorateRequest('controlChange', null);

  // Request schemas: strict (unknown fields rejected, no coercion of bodies), from openapi.ts's table.
  app.setValidatorCompiler(({ schema, httpPart }) =>
    compileValidator(schema as JsonSchema, (httpPart ?? 'body') as HttpPart),
  );
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const url = route.url ?? route.path;
    for (const method of methods) {
      const spec = routeSpec(method, url);
      if (spec && method !== 'HEAD') {
        const schema = (route.schema ??= {}) as Record<string, unknown>;
        if (spec.querystring && schema.querystring === undefined) schema.querystring = spec.querystring;
        if (spec.params && schema.params === undefined) schema.params = spec.params;
        if (spec.body && schema.body === undefined) schema.body = spec.body;
      }
      const declared = (route.config as { access?: RouteAccess } | undefined)?.access;
      const routeAccess: RouteAccess =
        declared ?? spec?.access ?? (method === 'GET' || method === 'HEAD' ? 'read' : 'unlisted');
      accessByRoute.set(`${method} ${url}`, routeAccess);
      const hidden = (route.config as { hidden?: boolean } | undefined)?.hidden === true;
      if (!hidden) {
        const schema = (route.schema ?? {}) as Partial<Record<'body' | 'querystring' | 'params', JsonSchema>>;
        routes.push({
          method,
          url,
          spec,
          schema: {
            ...(schema.body ? { body: schema.body } : {}),
            ...(schema.querystring ? { querystring: schema.querystring } : {}),
            ...(schema.params ? { params: schema.params } : {}),
          },
        });
      }
    }
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof RequestValidationError)
      return reply.code(400).send(
        errorBody('API_BAD_REQUEST', error.message, {
          field: error.field,
          in: error.part,
          reason: error.reason,
        }),
      );
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      // Fastify's own 4xx (malformed JSON, media type, body too large): its message names no secret.
      const message = redactSecrets(error.message).slice(0, 300);
      return reply
        .code(status)
        .send(
          errorBody(
            error.code ?? 'API_BAD_REQUEST',
            message,
            status === 400 ? { field: 'body', in: 'body', reason: message } : {},
          ),
        );
    }
    logger.error('request failed', {
      method: request.method,
      url: redactSecrets(request.url).slice(0, 200),
      error: redactSecrets(error.message),
    });
    return reply.code(500).send(errorBody('API_INTERNAL', 'internal error (logged on the server)'));
  });

  app.get('/openapi.json', { config: { access: 'public' } }, async () =>
    openApiDocument(routes, { title: 'Hedge fund platform API', version: '0.1.0' }),
  );

  if (access.mode === 'internal') {
    app.addHook('onRequest', async (_request, reply) => {
      securityHeaders(reply);
    });
    return;
  }

  const control = access.control;
  const audit = async (request: FastifyRequest, entry: AuditFields): Promise<void> => {
    if (!control) return;
    const principal = request.principal;
    try {
      await control.audit({
        actor: principal?.user ?? 'anonymous',
        role: principal?.role ?? null,
        via: principal?.via ?? 'none',
        remote: request.ip || null,
        action: entry.action,
        key: entry.key ?? null,
        field: entry.field ?? null,
        oldValue: entry.oldValue ?? null,
        newValue: entry.newValue ?? null,
        reason: entry.reason ?? null,
        outcome: entry.outcome,
        detail: entry.detail ?? null,
      });
    } catch (error) {
      logger.error('audit entry not stored', { action: entry.action, error: redactSecrets(String(error)) });
    }
  };

  const accessOf = (request: FastifyRequest): RouteAccess => {
    const url = request.routeOptions.url;
    if (url === undefined) return 'read';
    return (
      accessByRoute.get(`${request.method} ${url}`) ?? (isMutating(request.method) ? 'unlisted' : 'read')
    );
  };

  if (access.mode === 'trusted') {
    const principal: Principal = {
      user: access.actor ?? `local:${safeUserName()}`,
      role: 'admin',
      via: 'socket',
      credentialId: 'socket',
    };
    app.addHook('onRequest', async (request) => {
      request.principal = principal;
    });
  } else {
    const settings = access.settings ?? {};
    const now = settings.now ?? Date.now;
    const origins = new Set((settings.allowedOrigins ?? []).map(normalizeOrigin));
    const limit = settings.rateLimit ?? { perSecond: 20, burst: 100 };
    const anonymousLimit = settings.anonymousRateLimit ?? { perSecond: 1, burst: 10 };
    const limiter = new RateLimiter(limit.perSecond, limit.burst, now);
    const anonymousLimiter = new RateLimiter(anonymousLimit.perSecond, anonymousLimit.burst, now);
    const secure = settings.secureCookies ?? true;

    const originAllowed = (request: FastifyRequest, origin: string): boolean => {
      const normalized = normalizeOrigin(origin);
      const host = request.headers.host?.toLowerCase();
      if (host && (normalized === `http://${host}` || normalized === `https://${host}`)) return true;
      return origins.has(normalized) || origins.has('*');
    };

    const tooMany = (reply: FastifyReply, waitMs: number): FastifyReply =>
      reply
        .code(429)
        .header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))))
        .send(
          errorBody(
            'AUTH_RATE_LIMITED',
            'rate limit exceeded: slow down and retry after the Retry-After seconds',
            {
              retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
            },
          ),
        );

    app.addHook('onRequest', async (request, reply) => {
      securityHeaders(reply);
      const origin = request.headers.origin;
      const allowed = origin === undefined ? true : originAllowed(request, origin);
      if (origin !== undefined && allowed) {
        reply.header('access-control-allow-origin', origin);
        reply.header('access-control-allow-credentials', 'true');
        reply.header('vary', 'Origin');
      }
      if (request.method === 'OPTIONS') {
        if (origin === undefined || !allowed)
          return reply.code(403).send(errorBody('AUTH_ORIGIN_NOT_ALLOWED', 'origin not allowed'));
        return reply
          .code(204)
          .header('access-control-allow-methods', 'GET, POST, PATCH, DELETE')
          .header('access-control-allow-headers', `authorization, content-type, ${CSRF_HEADER}`)
          .header('access-control-max-age', '600')
          .send();
      }
      const routeAccess = accessOf(request);
      const mutating = isMutating(request.method);
      if (mutating && !allowed) {
        if (auditable(routeAccess)) await audit(request, deniedAttempt(request, 'origin not allowed'));
        return reply
          .code(403)
          .send(errorBody('AUTH_ORIGIN_NOT_ALLOWED', `origin not allowed: ${origin?.slice(0, 100) ?? ''}`));
      }
      if (routeAccess === 'public') {
        if (request.routeOptions.url === '/auth/login') {
          const wait = anonymousLimiter.take(`ip:${request.ip}`);
          if (wait > 0) return tooMany(reply, wait);
        }
        return;
      }
      if (!control)
        return reply
          .code(503)
          .send(errorBody('AUTH_UNAVAILABLE', 'authentication unavailable: this process has no user store'));
      const bearer = bearerOf(request.headers.authorization);
      const cookie =
        bearer === undefined ? parseCookies(request.headers.cookie).get(SESSION_COOKIE) : undefined;
      const secret = bearer ?? cookie;
      const principal = secret === undefined ? undefined : await control.authenticate(secret);
      if (!principal || (cookie !== undefined && principal.via !== 'session')) {
        const wait = anonymousLimiter.take(`ip:${request.ip}`);
        if (wait > 0) return tooMany(reply, wait);
        if (mutating && auditable(routeAccess))
          await audit(
            request,
            deniedAttempt(request, secret === undefined ? 'no credential' : 'invalid credential'),
          );
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="hf"')
          .send(
            errorBody(
              'AUTH_REQUIRED',
              secret === undefined
                ? 'authentication required: Authorization: Bearer <token> (hf token create), or log in'
                : 'the token or session is invalid, expired or revoked',
            ),
          );
      }
      request.principal = principal;
      const wait = limiter.take(principal.credentialId);
      if (wait > 0) return tooMany(reply, wait);
      if (mutating && cookie !== undefined) {
        const csrf = request.headers[CSRF_HEADER];
        if (typeof csrf !== 'string' || !sameSecret(csrf, csrfOf(cookie))) {
          if (auditable(routeAccess))
            await audit(request, deniedAttempt(request, 'missing or wrong CSRF header'));
          return reply
            .code(403)
            .send(errorBody('AUTH_CSRF', `a session's mutating request needs the ${CSRF_HEADER} header`));
        }
      }
      return undefined;
    });

    registerSessionRoutes(app, control, settings, secure);
  }

  // Authorisation after the body is parsed and validated, so a refused control attempt is audited in full.
  app.addHook('preHandler', async (request, reply) => {
    const routeAccess = accessOf(request);
    const principal = request.principal;
    if (routeAccess === 'public' || !principal) return undefined;
    if (routeAccess === 'control') {
      const body = (request.body ?? {}) as ControlBody;
      const permission = controlPermission(body.key);
      const current = kernel.bus.control.get(body.key, body.field) ?? null;
      const change: ControlChange = {
        action: body.value === null ? 'control.delete' : 'control.set',
        key: body.key,
        field: body.field,
        oldValue: current,
        requested: body.value,
        reason: body.reason ?? null,
      };
      if (permission === undefined || !can(principal.role, permission)) {
        await audit(request, {
          ...auditOf(change),
          newValue: change.requested,
          outcome: 'denied',
          detail: `role ${principal.role} lacks ${permission ?? 'a control permission'}`,
        });
        return forbidden(reply, principal, permission ?? 'killSwitch');
      }
      if (access.mode === 'required') {
        const problem = controlProblem(kernel, body);
        if (problem)
          return reply.code(400).send(
            errorBody('API_BAD_REQUEST', `${problem.field}: ${problem.reason}`, {
              field: problem.field,
              in: 'body',
              reason: problem.reason,
            }),
          );
      }
      request.controlChange = change;
      return undefined;
    }
    if (!can(principal.role, routeAccess)) {
      if (isMutating(request.method) && auditable(routeAccess))
        await audit(request, {
          action: `${request.method} ${request.routeOptions.url ?? ''}`,
          outcome: 'denied',
          detail: `role ${principal.role} lacks ${routeAccess}`,
        });
      return forbidden(reply, principal, routeAccess);
    }
    // Every other mutation (reconcile, flatten, scenario run) is audited once answered; access routes audit
    // themselves.
    if (isMutating(request.method) && auditable(routeAccess) && routeAccess !== 'access')
      request.controlChange = {
        action: `${request.method} ${request.routeOptions.url ?? ''}`,
        key: null,
        field: null,
        oldValue: null,
        requested:
          request.body === undefined || request.body === null
            ? null
            : JSON.stringify(request.body).slice(0, 200),
        reason: null,
      };
    return undefined;
  });

  // The audit entry of an answered control change: applied (with the value as it now is) or failed.
  app.addHook('onSend', async (request, reply, payload) => {
    const change = request.controlChange;
    if (!change) return payload;
    request.controlChange = null;
    const applied = reply.statusCode < 400;
    await audit(request, {
      ...auditOf(change),
      newValue:
        change.key && change.field
          ? (kernel.bus.control.get(change.key, change.field) ?? null)
          : change.requested,
      outcome: applied ? 'applied' : 'failed',
      detail: applied ? null : `answered ${reply.statusCode}`,
    });
    return payload;
  });

  registerAccessRoutes(app, control, audit);
  if (access.mode === 'required') {
    const dir = access.settings?.dashboardDir ?? DEFAULT_DASHBOARD_DIR;
    if (dir !== false) registerDashboard(app, dir);
  }
}

// ---- helpers of the hooks ----

interface ControlBody {
  readonly key: string;
  readonly field: string;
  readonly value: string | null;
  readonly reason?: string;
}

interface AuditFields {
  readonly action: string;
  readonly key?: string | null;
  readonly field?: string | null;
  readonly oldValue?: string | null;
  readonly newValue?: string | null;
  readonly reason?: string | null;
  readonly outcome: 'applied' | 'denied' | 'failed';
  readonly detail?: string | null;
}

function auditOf(change: ControlChange): Omit<AuditFields, 'outcome'> {
  return {
    action: change.action,
    key: change.key,
    field: change.field,
    oldValue: change.oldValue,
    reason: change.reason,
  };
}

function deniedAttempt(request: FastifyRequest, detail: string): AuditFields {
  return {
    action: `${request.method} ${request.routeOptions.url ?? request.url.slice(0, 100)}`,
    outcome: 'denied',
    detail,
  };
}

function forbidden(reply: FastifyReply, principal: Principal, permission: Permission): FastifyReply {
  return reply.code(403).send(
    errorBody('AUTH_FORBIDDEN', `forbidden: role ${principal.role} may not ${permission}`, {
      role: principal.role,
      permission,
    }),
  );
}

function securityHeaders(reply: FastifyReply): void {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('content-security-policy', CSP);
  reply.header('cache-control', 'no-store');
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}

/** What a control change names must exist, and its value must be one the key takes. */
function controlProblem(kernel: Kernel, body: ControlBody): { field: string; reason: string } | undefined {
  const venues = [...kernel.registry.venues.keys()] as string[];
  const oneOf = (values: readonly string[]): string =>
    values.length > 8 ? `${values.slice(0, 8).join(', ')}, …` : values.join(', ');
  switch (body.key) {
    case 'policy:kill_switch':
      if (body.field !== 'enabled')
        return { field: 'field', reason: 'the kill switch has one field: enabled' };
      if (body.value !== 'true' && body.value !== 'false')
        return { field: 'value', reason: 'must be "true" or "false"' };
      if ((body.reason ?? '').trim().length < 3)
        return { field: 'reason', reason: 'required for a kill-switch change (at least 3 characters)' };
      return undefined;
    case 'strategy:enabled': {
      const ids = kernel.strategies.status().map((s) => s.id as string);
      if (!ids.includes(body.field))
        return { field: 'field', reason: `no strategy of that id (${oneOf(ids)})` };
      if (body.value !== null && body.value !== 'true' && body.value !== 'false')
        return { field: 'value', reason: 'must be "true", "false" or null' };
      return undefined;
    }
    case 'policy:route_override':
      if (!venues.includes(body.field))
        return { field: 'field', reason: `no venue of that name (${oneOf(venues)})` };
      if (body.value !== null && (!venues.includes(body.value) || body.value === body.field))
        return { field: 'value', reason: `another venue (${oneOf(venues)}) or null to clear` };
      return undefined;
    case 'policy:latency_routing':
      if (!venues.includes(body.field))
        return { field: 'field', reason: `no venue of that name (${oneOf(venues)})` };
      if (body.value !== null && body.value !== 'on' && body.value !== 'off')
        return { field: 'value', reason: 'must be "on", "off" or null' };
      return undefined;
    case 'feed:active': {
      const instruments = [...kernel.registry.instruments.keys()] as string[];
      if (!instruments.includes(body.field))
        return { field: 'field', reason: `no instrument of that id (${oneOf(instruments)})` };
      if (body.value !== null && body.value !== 'primary' && body.value !== 'backup')
        return { field: 'value', reason: 'must be "primary", "backup" or null' };
      return undefined;
    }
    default:
      return { field: 'key', reason: 'not a control key' };
  }
}

// ---- routes ----

function sessionView(
  principal: Principal,
  settings: ApiSecuritySettings,
  session?: { readonly csrf: string; readonly expiresMs: number | undefined },
): Record<string, unknown> {
  return {
    user: principal.user,
    role: principal.role,
    via: principal.via,
    permissions: permissionsOf(principal),
    ...(session ? { csrf: session.csrf, expiresMs: session.expiresMs ?? null } : {}),
    ws: { url: settings.wsUrl ?? null, port: settings.wsPort ?? 8765 },
  };
}

function registerSessionRoutes(
  app: FastifyInstance,
  control: AccessControl | undefined,
  settings: ApiSecuritySettings,
  secure: boolean,
): void {
  const unavailable = (reply: FastifyReply): FastifyReply =>
    reply
      .code(503)
      .send(errorBody('AUTH_UNAVAILABLE', 'authentication unavailable: this process has no user store'));

  app.post<{ Body: { token: string } }>('/auth/login', async (request, reply) => {
    if (!control) return unavailable(reply);
    const session = await control.openSession(request.body.token);
    if (!session)
      return reply
        .code(401)
        .send(
          errorBody(
            'AUTH_INVALID_TOKEN',
            'the token is invalid, expired or revoked (hf token create issues one)',
          ),
        );
    reply.header(
      'set-cookie',
      sessionCookie(session.secret, (session.expiresMs - Date.now()) / 1000, secure),
    );
    return sessionView(session.principal, settings, { csrf: session.csrf, expiresMs: session.expiresMs });
  });

  app.post('/auth/logout', async (request, reply) => {
    const secret = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    if (control && secret !== undefined) await control.closeSession(secret);
    reply.header('set-cookie', clearedSessionCookie(secure));
    return { loggedOut: true };
  });

  app.get('/auth/session', async (request) => {
    const principal = request.principal as Principal;
    if (principal.via !== 'session') return sessionView(principal, settings);
    const secret = parseCookies(request.headers.cookie).get(SESSION_COOKIE) ?? '';
    return sessionView(principal, settings, {
      csrf: csrfOf(secret),
      expiresMs: await control?.sessionExpiry(secret),
    });
  });

  app.post('/auth/ws-ticket', async (request, reply) => {
    if (!control) return unavailable(reply);
    const issued = await control.issueTicket(request.principal as Principal);
    return { ...issued, ws: { url: settings.wsUrl ?? null, port: settings.wsPort ?? 8765 } };
  });
}

function accessErrorReply(reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof AccessError)) throw error;
  const status =
    error.code === 'ACCESS_USER_EXISTS'
      ? 409
      : error.code === 'ACCESS_NO_USER' || error.code === 'ACCESS_NO_TOKEN'
        ? 404
        : error.code === 'ACCESS_USER_DISABLED'
          ? 409
          : 400;
  return reply.code(status).send(errorBody(error.code, error.message));
}

function registerAccessRoutes(
  app: FastifyInstance,
  control: AccessControl | undefined,
  audit: (request: FastifyRequest, entry: AuditFields) => Promise<void>,
): void {
  const unavailable = (reply: FastifyReply): FastifyReply =>
    reply.code(503).send(errorBody('AUTH_UNAVAILABLE', 'no user store in this process'));

  app.get<{ Querystring: { limit?: number } }>('/api/audit', async (request, reply) => {
    if (!control) return unavailable(reply);
    return control.store.loadControlAudit(request.query.limit ?? 100);
  });

  app.get('/api/users', async (_request, reply) => (control ? control.users() : unavailable(reply)));

  app.post<{ Body: { name: string; role: string; issueToken?: boolean; label?: string } }>(
    '/api/users',
    async (request, reply) => {
      if (!control) return unavailable(reply);
      const { name, role, issueToken, label } = request.body;
      try {
        const user = await control.addUser(name, role);
        const token = issueToken ? await control.createToken(name, { label: label ?? '' }) : undefined;
        await audit(request, { action: 'user.add', field: name, newValue: role, outcome: 'applied' });
        if (token)
          await audit(request, {
            action: 'token.create',
            field: name,
            newValue: token.id,
            outcome: 'applied',
          });
        return reply.code(201).send(token ? { user, token } : { user });
      } catch (error) {
        await audit(request, {
          action: 'user.add',
          field: name,
          newValue: role,
          outcome: 'failed',
          detail: error instanceof AccessError ? error.code : 'error',
        });
        return accessErrorReply(reply, error);
      }
    },
  );

  app.patch<{ Params: { name: string }; Body: { role?: string; disabled?: boolean } }>(
    '/api/users/:name',
    async (request, reply) => {
      if (!control) return unavailable(reply);
      const { name } = request.params;
      const { role, disabled } = request.body ?? {};
      const users = await control.users();
      const before = users.find((u) => u.name === name);
      if (
        before?.role === 'admin' &&
        before.disabledMs === null &&
        ((role !== undefined && role !== 'admin') || disabled === true)
      ) {
        const admins = users.filter((u) => u.role === 'admin' && u.disabledMs === null).length;
        if (admins <= 1)
          return reply
            .code(409)
            .send(errorBody('ACCESS_LAST_ADMIN', 'the last enabled admin cannot be demoted or disabled'));
      }
      try {
        const user = await control.updateUser(name, {
          ...(role !== undefined ? { role } : {}),
          ...(disabled !== undefined ? { disabled } : {}),
        });
        await audit(request, {
          action: 'user.update',
          field: name,
          oldValue: before ? `${before.role}${before.disabledMs === null ? '' : ' (disabled)'}` : null,
          newValue: `${user.role}${user.disabledMs === null ? '' : ' (disabled)'}`,
          outcome: 'applied',
        });
        return user;
      } catch (error) {
        return accessErrorReply(reply, error);
      }
    },
  );

  app.get<{ Querystring: { user?: string } }>('/api/tokens', async (request, reply) =>
    control ? control.tokens(request.query.user) : unavailable(reply),
  );

  app.post<{ Body: { user: string; label?: string; ttlDays?: number } }>(
    '/api/tokens',
    async (request, reply) => {
      if (!control) return unavailable(reply);
      const { user, label, ttlDays } = request.body;
      try {
        const token = await control.createToken(user, {
          ...(label !== undefined ? { label } : {}),
          ...(ttlDays !== undefined ? { ttlDays } : {}),
        });
        await audit(request, { action: 'token.create', field: user, newValue: token.id, outcome: 'applied' });
        return reply.code(201).send(token);
      } catch (error) {
        return accessErrorReply(reply, error);
      }
    },
  );

  app.delete<{ Params: { id: string } }>('/api/tokens/:id', async (request, reply) => {
    if (!control) return unavailable(reply);
    try {
      const revoked = await control.revokeToken(request.params.id);
      await audit(request, {
        action: 'token.revoke',
        field: request.params.id,
        newValue: `revoked ${revoked.length}`,
        outcome: 'applied',
      });
      return { revoked };
    } catch (error) {
      return accessErrorReply(reply, error);
    }
  });
}

/** The built dashboard: files of `dir`, and index.html for any other page path (the app routes itself). */
function registerDashboard(app: FastifyInstance, dir: string): void {
  const root = resolve(dir);
  const cache = new Map<string, Buffer>();
  const serve = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    let path: string;
    try {
      path = decodeURIComponent(request.url.split('?')[0] ?? '/');
    } catch {
      return reply.code(400).send(errorBody('API_BAD_REQUEST', 'path: not valid percent-encoding'));
    }
    if (DASHBOARD_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`)))
      return reply
        .code(404)
        .send(errorBody('API_NOT_FOUND', `no route ${request.method} ${path.slice(0, 100)}`));
    if (!existsSync(resolve(root, 'index.html')))
      return reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send('dashboard not built: npm run build:frontend (or npm start, which builds it)\n');
    const index = resolve(root, 'index.html');
    const wanted = path === '/' || path.includes('\0') ? index : resolve(root, `.${path}`);
    const inside = wanted === root || wanted.startsWith(root + sep);
    // A page path (no extension) is the app's own route: index.html. A missing file is a 404, never the page.
    let file = index;
    if (inside && extname(wanted) !== '') {
      if (!existsSync(wanted))
        return reply
          .code(404)
          .type('text/plain; charset=utf-8')
          .send(`no file ${path.slice(0, 100)}\n`);
      file = wanted;
    }
    // Hashed assets never change: kept in memory. index.html is read each time (a rebuild changes it).
    const immutable = file.startsWith(resolve(root, 'assets') + sep);
    let body = immutable ? cache.get(file) : undefined;
    if (!body) {
      body = await readFile(file);
      if (immutable) cache.set(file, body);
    }
    return reply
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(CONTENT_TYPES[extname(file)] ?? 'application/octet-stream')
      .send(body);
  };
  app.get('/', { config: { access: 'public', hidden: true } }, serve);
  app.get('/*', { config: { access: 'public', hidden: true } }, serve);
}
