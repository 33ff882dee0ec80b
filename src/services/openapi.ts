// The REST API's contract: a request schema for every route (unknown fields rejected), the strict validator
// that enforces them (no type coercion of bodies), and the OpenAPI 3.1 description served at /openapi.json,
// generated from the routes the server actually registered.

import { CONTROL_KEYS } from '../common/topics.ts';
import { ROLES, type Permission } from './auth.ts';

export type JsonSchema = Readonly<Record<string, unknown>>;
export type HttpPart = 'body' | 'querystring' | 'params' | 'headers';

/** Who may call a route: nobody needs to authenticate (public), a permission, or per control key (/control). */
export type RouteAccess = 'public' | 'control' | Permission;

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify's path pattern, e.g. `/api/orders/:id`. */
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: RouteAccess;
  readonly querystring?: JsonSchema;
  readonly params?: JsonSchema;
  readonly body?: JsonSchema;
  /** Status code -> description (401, 403, 429 and 400 are added where they apply). */
  readonly responses: Readonly<Record<string, string>>;
}

const NO_QUERY: JsonSchema = { type: 'object', additionalProperties: false, properties: {} };
const NO_BODY: JsonSchema = { type: 'object', additionalProperties: false, properties: {} };
const LIMIT = (max: number): JsonSchema => ({
  type: 'integer',
  minimum: 1,
  maximum: max,
  description: `how many, the latest (1 to ${max})`,
});
const USER_NAME: JsonSchema = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9._-]{0,63}$',
  description: 'lower case letters, digits, ".", "_", "-"; up to 64 characters',
};
const ROLE: JsonSchema = { type: 'string', enum: ROLES };

/** Every route of the API, with its request schemas; the OpenAPI description lists those registered. */
export const ROUTE_SPECS: readonly RouteSpec[] = [
  {
    method: 'GET',
    url: '/health',
    summary: 'Status of every component (200 ok or degraded, 503 down)',
    tag: 'operations',
    access: 'public',
    querystring: NO_QUERY,
    responses: { '200': 'up (ok or degraded)', '503': 'a component is down' },
  },
  {
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus metrics (text exposition format)',
    tag: 'operations',
    access: 'public',
    querystring: NO_QUERY,
    responses: { '200': 'metrics' },
  },
  {
    method: 'GET',
    url: '/openapi.json',
    summary: 'This description of the API',
    tag: 'operations',
    access: 'public',
    querystring: NO_QUERY,
    responses: { '200': 'OpenAPI 3.1 document' },
  },
  {
    method: 'GET',
    url: '/api/summary',
    summary: 'Orders, fills, denials, positions, PnL and stage latency in one picture',
    tag: 'trading',
    access: 'read',
    querystring: NO_QUERY,
    responses: { '200': 'the kernel summary' },
  },
  {
    method: 'GET',
    url: '/api/orders',
    summary: 'Orders of record, the latest last',
    tag: 'trading',
    access: 'read',
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: {
        status: { type: 'string', enum: ['open', 'closed', 'all'] },
        strategy: { type: 'string', minLength: 1, maxLength: 128 },
        limit: LIMIT(10_000),
      },
    },
    responses: { '200': 'order records' },
  },
  {
    method: 'GET',
    url: '/api/orders/:id',
    summary: 'One order with its fills',
    tag: 'trading',
    access: 'read',
    params: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
    },
    querystring: NO_QUERY,
    responses: { '200': 'the order', '404': 'no such order (OMS_UNKNOWN_ORDER)' },
  },
  {
    method: 'GET',
    url: '/api/fills',
    summary: 'Fills, the latest last',
    tag: 'trading',
    access: 'read',
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { limit: LIMIT(10_000) },
    },
    responses: { '200': 'fills' },
  },
  {
    method: 'GET',
    url: '/api/positions',
    summary: 'Positions from the ledger with marks and PnL',
    tag: 'trading',
    access: 'read',
    querystring: NO_QUERY,
    responses: { '200': 'positions' },
  },
  {
    method: 'GET',
    url: '/api/risk',
    summary: 'Risk snapshot: trading state, exposures, cash, VaR/ES against bands, drawdowns',
    tag: 'risk',
    access: 'read',
    querystring: NO_QUERY,
    responses: { '200': 'the risk snapshot' },
  },
  {
    method: 'GET',
    url: '/api/strategies',
    summary: 'Strategies: enabled, running, orders, fills, last error',
    tag: 'trading',
    access: 'read',
    querystring: NO_QUERY,
    responses: { '200': 'strategy status' },
  },
  {
    method: 'GET',
    url: '/api/control',
    summary: 'Control-plane state: kill switch, strategy toggles, route overrides, …',
    tag: 'control',
    access: 'read',
    querystring: NO_QUERY,
    responses: { '200': 'key -> field -> value' },
  },
  {
    method: 'GET',
    url: '/api/reconciliation',
    summary: 'The last reconciliation report (null before the first)',
    tag: 'operations',
    access: 'read',
    querystring: NO_QUERY,
    responses: { '200': 'report or null' },
  },
  {
    method: 'GET',
    url: '/api/feeds',
    summary: 'Market-data sources: active source per instrument, staleness, quarantine counts',
    tag: 'operations',
    access: 'read',
    querystring: NO_QUERY,
    responses: { '200': 'feed status', '404': 'no feeds in this process' },
  },
  {
    method: 'GET',
    url: '/api/audit',
    summary: 'The control audit trail, the latest first: who, when, what, old -> new value, reason, outcome',
    tag: 'control',
    access: 'read',
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { limit: LIMIT(1000) },
    },
    responses: { '200': 'audit entries' },
  },
  {
    method: 'POST',
    url: '/control',
    summary:
      'Sets (or deletes, value null) a control-plane field; the permission depends on the key: kill switch ' +
      '(risk-officer), strategy toggles (trader), route overrides and latency routing (risk-officer), feed ' +
      'source (risk-officer). A kill-switch change needs a reason. Every attempt is audited.',
    tag: 'control',
    access: 'control',
    querystring: NO_QUERY,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['key', 'field', 'value'],
      properties: {
        key: { type: 'string', enum: CONTROL_KEYS },
        field: { type: 'string', minLength: 1, maxLength: 128 },
        value: { type: ['string', 'null'], minLength: 1, maxLength: 128 },
        reason: { type: 'string', maxLength: 500 },
      },
    },
    responses: { '200': 'the field as it now is' },
  },
  {
    method: 'POST',
    url: '/reconcile',
    summary: 'Reconciles OMS and ledger with every venue now',
    tag: 'operations',
    access: 'reconcile',
    querystring: NO_QUERY,
    body: NO_BODY,
    responses: { '200': 'the reconciliation report' },
  },
  {
    method: 'GET',
    url: '/api/policy',
    summary:
      'The risk.yaml and policy.yaml the running risk engine applies, with their version numbers (hf policy show)',
    tag: 'risk',
    access: 'read',
    querystring: NO_QUERY,
    responses: { '200': 'the files in force', '404': 'no policy watcher in this process' },
  },
  {
    method: 'GET',
    url: '/api/policy/history',
    summary:
      "Every version of risk.yaml and policy.yaml, the fleet's from the store: number, file, time, cause, who, what changed (hf policy history)",
    tag: 'risk',
    access: 'read',
    querystring: NO_QUERY,
    responses: { '200': 'versions, oldest first', '404': 'no policy watcher in this process' },
  },
  {
    method: 'POST',
    url: '/policy/apply',
    summary:
      'Validates the file as it is on disk, applies it, numbers, audits and announces it to every process (hf policy set); lists the caps now below their exposure',
    tag: 'risk',
    access: 'limits',
    querystring: NO_QUERY,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['file'],
      properties: { file: { type: 'string', enum: ['risk.yaml', 'policy.yaml'] } },
    },
    responses: {
      '200': 'applied, unchanged, or refused with the reason',
      '404': 'no policy watcher in this process',
    },
  },
  {
    method: 'POST',
    url: '/policy/rollback',
    summary: 'Writes an earlier version back and applies it (hf policy rollback)',
    tag: 'risk',
    access: 'limits',
    querystring: NO_QUERY,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['version'],
      properties: { version: { type: 'integer', minimum: 1 } },
    },
    responses: { '200': 'the version written back', '400': 'no such version', '404': 'no policy watcher' },
  },
  {
    method: 'POST',
    url: '/hedge/flatten',
    summary:
      'Flattens positions (one strategy, or all), or runs the whole risk-breach runbook; dryRun only plans (hf hedge)',
    tag: 'control',
    access: 'killSwitch',
    querystring: NO_QUERY,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        strategy: { type: 'string', minLength: 1, maxLength: 128 },
        runbook: { type: 'boolean' },
        dryRun: { type: 'boolean' },
      },
    },
    responses: { '200': 'the flatten orders or the incident', '404': 'no hedger in this process' },
  },
  {
    method: 'POST',
    url: '/scenario/run',
    summary: 'Runs the stress scenarios of configs/scenarios.yaml on the live book now',
    tag: 'risk',
    access: 'reconcile',
    querystring: NO_QUERY,
    body: NO_BODY,
    responses: { '200': 'scenario results', '404': 'no scenario worker in this process' },
  },
  ...['scenarios', 'sentiment', 'insights', 'incidents', 'workers'].map((name): RouteSpec => ({
    method: 'GET',
    url: `/api/${name}`,
    summary: `Side workers: ${name}`,
    tag: 'workers',
    access: 'read',
    querystring: NO_QUERY,
    responses: { '200': name, '404': 'the worker does not run in this process' },
  })),
  {
    method: 'POST',
    url: '/auth/login',
    summary: 'Opens a dashboard session from an API token: sets an http-only, secure, same-site cookie',
    tag: 'auth',
    access: 'public',
    querystring: NO_QUERY,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['token'],
      properties: { token: { type: 'string', minLength: 1, maxLength: 200 } },
    },
    responses: {
      '200': 'the session (user, role, permissions, CSRF value)',
      '401': 'the token does not authenticate',
    },
  },
  {
    method: 'POST',
    url: '/auth/logout',
    summary: 'Ends the dashboard session and clears its cookie',
    tag: 'auth',
    access: 'public',
    querystring: NO_QUERY,
    body: NO_BODY,
    responses: { '200': 'logged out' },
  },
  {
    method: 'GET',
    url: '/auth/session',
    summary: 'Who the caller is: user, role, permissions; for a session also its CSRF value and expiry',
    tag: 'auth',
    access: 'read',
    querystring: NO_QUERY,
    responses: { '200': 'the principal' },
  },
  {
    method: 'POST',
    url: '/auth/ws-ticket',
    summary: 'A one-time ticket (60 s) for the WebSocket gateway: ws://host:8765/?ticket=…',
    tag: 'auth',
    access: 'read',
    querystring: NO_QUERY,
    body: NO_BODY,
    responses: { '200': 'ticket and WebSocket URL' },
  },
  {
    method: 'GET',
    url: '/api/users',
    summary: 'Users and their roles',
    tag: 'access',
    access: 'access',
    querystring: NO_QUERY,
    responses: { '200': 'users' },
  },
  {
    method: 'POST',
    url: '/api/users',
    summary: 'Adds a user; with issueToken, also an API token (shown once)',
    tag: 'access',
    access: 'access',
    querystring: NO_QUERY,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'role'],
      properties: {
        name: USER_NAME,
        role: ROLE,
        issueToken: { type: 'boolean' },
        label: { type: 'string', maxLength: 100 },
      },
    },
    responses: { '201': 'the user (and token)', '409': 'the name is taken' },
  },
  {
    method: 'PATCH',
    url: '/api/users/:name',
    summary: 'Changes a role, or disables / enables a user (a disabled user authenticates nowhere)',
    tag: 'access',
    access: 'access',
    params: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: USER_NAME },
    },
    querystring: NO_QUERY,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { role: ROLE, disabled: { type: 'boolean' } },
    },
    responses: { '200': 'the user', '404': 'no such user' },
  },
  {
    method: 'GET',
    url: '/api/tokens',
    summary: 'Tokens, sessions and tickets (never their secrets), the newest first',
    tag: 'access',
    access: 'access',
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { user: USER_NAME },
    },
    responses: { '200': 'tokens' },
  },
  {
    method: 'POST',
    url: '/api/tokens',
    summary: 'Issues an API token for a user: the secret is in this response only',
    tag: 'access',
    access: 'access',
    querystring: NO_QUERY,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['user'],
      properties: {
        user: USER_NAME,
        label: { type: 'string', maxLength: 100 },
        ttlDays: { type: 'integer', minimum: 1, maximum: 3650 },
      },
    },
    responses: { '201': 'the token', '404': 'no such user' },
  },
  {
    method: 'DELETE',
    url: '/api/tokens/:id',
    summary: 'Revokes a token and every session and ticket opened with it',
    tag: 'access',
    access: 'access',
    params: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: { type: 'string', pattern: '^[a-z]{3}_[0-9a-f]{16}$' } },
    },
    querystring: NO_QUERY,
    responses: { '200': 'the ids revoked', '404': 'no such token' },
  },
];

/** The spec of a registered route (HEAD answers as GET). */
export function routeSpec(method: string, url: string): RouteSpec | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return ROUTE_SPECS.find((r) => r.method === m && r.url === url);
}

// ---- validation ----

/** A request that breaks its schema: answered 400 with the field and the reason. */
export class RequestValidationError extends Error {
  readonly statusCode = 400;
  constructor(
    /** Where: body, query or path. */
    readonly part: 'body' | 'query' | 'path' | 'headers',
    /** The field's dotted path in that part ('' for the part itself). */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field === '' ? part : field}: ${reason}`);
    this.name = 'RequestValidationError';
  }
}

const KNOWN_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'enum',
  'const',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'items',
  'minItems',
  'maxItems',
  'description',
  'title',
  'examples',
  'format',
]);

const PART_NAME: Readonly<Record<HttpPart, RequestValidationError['part']>> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'headers',
};

type Check = (value: unknown, path: string) => { readonly value: unknown } | RequestValidationError;

/**
 * Compiles a schema of the subset the routes use into a Fastify validator: objects with `properties`, `required`,
 * `additionalProperties` (false rejects unknown fields), `items`, `type` (one or a list), `enum`, `const`,
 * string and number bounds and `pattern`. Query and path values are strings on the wire and are read as the
 * integer, number or boolean their schema names; bodies are taken as sent (a number is not a string). An
 * unknown keyword fails at start, never silently at run time.
 */
export function compileValidator(
  schema: JsonSchema,
  part: HttpPart,
): (data: unknown) => { value: unknown } | { error: RequestValidationError } {
  const name = PART_NAME[part];
  const coerce = part !== 'body';
  const check = compile(schema, name, coerce, '');
  const optional = part === 'body' && !(Array.isArray(schema.required) && schema.required.length > 0);
  return (data) => {
    // Fastify passes an absent body as null: a body that requires no field may be left out.
    if (part === 'body' && (data === null || data === undefined) && optional) return { value: data };
    const result = check(data, '');
    return result instanceof RequestValidationError ? { error: result } : result;
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function compile(
  schema: JsonSchema,
  part: RequestValidationError['part'],
  coerce: boolean,
  at: string,
): Check {
  for (const key of Object.keys(schema))
    if (!KNOWN_KEYWORDS.has(key))
      throw new Error(`request schema ${at || part}: unsupported keyword "${key}"`);
  const types =
    schema.type === undefined
      ? []
      : Array.isArray(schema.type)
        ? (schema.type as string[])
        : [schema.type as string];
  const enumValues = Array.isArray(schema.enum) ? (schema.enum as readonly unknown[]) : undefined;
  const properties = (schema.properties ?? {}) as Readonly<Record<string, JsonSchema>>;
  const propertyChecks = new Map<string, Check>();
  for (const [key, sub] of Object.entries(properties))
    propertyChecks.set(key, compile(sub, part, coerce, at === '' ? key : `${at}.${key}`));
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  const additional = schema.additionalProperties;
  const additionalCheck =
    typeof additional === 'object' && additional !== null
      ? compile(additional as JsonSchema, part, coerce, `${at}.*`)
      : undefined;
  const itemCheck =
    typeof schema.items === 'object' && schema.items !== null
      ? compile(schema.items as JsonSchema, part, coerce, `${at}[]`)
      : undefined;
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : undefined;
  const num = (k: string): number | undefined => {
    const v = schema[k];
    return typeof v === 'number' ? v : undefined;
  };
  const minLength = num('minLength');
  const maxLength = num('maxLength');
  const minimum = num('minimum');
  const maximum = num('maximum');
  const minItems = num('minItems');
  const maxItems = num('maxItems');

  const fail = (path: string, reason: string): RequestValidationError =>
    new RequestValidationError(part, path, reason);

  const typed = (input: unknown): { ok: boolean; value: unknown } => {
    if (types.length === 0) return { ok: true, value: input };
    for (const type of types) {
      const value = coerce ? coerceTo(type, input) : input;
      if (matchesType(type, value)) return { ok: true, value };
    }
    return { ok: false, value: input };
  };

  return (input, path) => {
    if (coerce && Array.isArray(input) && !types.includes('array')) return fail(path, 'given more than once');
    const { ok, value } = typed(input);
    if (!ok) return fail(path, `must be ${types.map(typeName).join(' or ')}, not ${describe(input)}`);
    if (enumValues && !enumValues.includes(value))
      return fail(path, `must be one of ${enumValues.map((v) => JSON.stringify(v)).join(', ')}`);
    if (schema.const !== undefined && value !== schema.const)
      return fail(path, `must be ${JSON.stringify(schema.const)}`);
    if (typeof value === 'string') {
      const length = [...value].length;
      if (minLength !== undefined && length < minLength)
        return fail(path, minLength === 1 ? 'must not be empty' : `must be at least ${minLength} characters`);
      if (maxLength !== undefined && length > maxLength)
        return fail(path, `must be at most ${maxLength} characters`);
      if (pattern && !pattern.test(value)) return fail(path, `must match ${String(schema.pattern)}`);
    }
    if (typeof value === 'number') {
      if (minimum !== undefined && value < minimum) return fail(path, `must be ≥ ${minimum}`);
      if (maximum !== undefined && value > maximum) return fail(path, `must be ≤ ${maximum}`);
    }
    if (Array.isArray(value)) {
      if (minItems !== undefined && value.length < minItems)
        return fail(path, `must have at least ${minItems} items`);
      if (maxItems !== undefined && value.length > maxItems)
        return fail(path, `must have at most ${maxItems} items`);
      if (itemCheck) {
        const out: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
          const r = itemCheck(value[i], `${path}[${i}]`);
          if (r instanceof RequestValidationError) return r;
          out.push(r.value);
        }
        return { value: out };
      }
      return { value };
    }
    if (typeof value === 'object' && value !== null) {
      const source = value as Readonly<Record<string, unknown>>;
      const out: Record<string, unknown> = {};
      for (const key of required)
        if (!Object.hasOwn(source, key) || source[key] === undefined)
          return fail(path === '' ? key : `${path}.${key}`, 'required');
      for (const key of Object.keys(source)) {
        const child = path === '' ? key : `${path}.${key}`;
        const sub = propertyChecks.get(key) ?? additionalCheck;
        if (!sub) {
          if (additional === false) return fail(child, 'unknown field');
          out[key] = source[key];
          continue;
        }
        const r = sub(source[key], child);
        if (r instanceof RequestValidationError) return r;
        out[key] = r.value;
      }
      return { value: out };
    }
    return { value };
  };
}

function typeName(type: string): string {
  switch (type) {
    case 'integer':
      return 'an integer';
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'null':
      return 'null';
    default:
      return `a ${type}`;
  }
}

function matchesType(type: string, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      throw new Error(`request schema: unsupported type "${type}"`);
  }
}

const INTEGER_TEXT = /^-?(0|[1-9]\d{0,15})$/;
const NUMBER_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;

/** A query or path string read as the type its schema names; anything else is left for the type check. */
function coerceTo(type: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  switch (type) {
    case 'integer':
      return INTEGER_TEXT.test(value) ? Number(value) : value;
    case 'number':
      return NUMBER_TEXT.test(value) ? Number(value) : value;
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    default:
      return value;
  }
}

// ---- OpenAPI ----

/** A route as registered on the server (collected by an onRoute hook). */
export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly spec: RouteSpec | undefined;
  readonly schema: Readonly<Partial<Record<'body' | 'querystring' | 'params', JsonSchema>>>;
}

const STANDARD_RESPONSES: Readonly<Record<string, string>> = {
  '400': 'a field breaks the request schema: {error, field, reason}',
  '401': 'no valid credential: {error, code: AUTH_REQUIRED}',
  '403': "the caller's role may not do this, or the Origin is not allowed: {error, code}",
  '429': 'rate limit of the credential exceeded (Retry-After)',
};

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    code: { type: 'string' },
    field: { type: 'string' },
    reason: { type: 'string' },
  },
  required: ['error'],
};

function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: JsonSchema | undefined, where: 'query' | 'path'): unknown[] {
  if (!schema) return [];
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const out: unknown[] = [];
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>))
    out.push({ name, in: where, required: where === 'path' || required.has(name), schema: sub });
  return out;
}

/** The OpenAPI 3.1 document of the registered routes. */
export function openApiDocument(
  routes: readonly RegisteredRoute[],
  info: { readonly title: string; readonly version: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const seen = new Set<string>();
  for (const route of routes) {
    if (route.method === 'HEAD' || route.method === 'OPTIONS') continue;
    const key = `${route.method} ${route.url}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const spec = route.spec;
    const access: RouteAccess = spec?.access ?? (route.method === 'GET' ? 'read' : 'unlisted');
    const responses: Record<string, unknown> = {};
    for (const [code, description] of Object.entries(spec?.responses ?? { '200': 'OK' }))
      responses[code] = { description };
    const standard: string[] = [];
    if (route.schema.body || route.schema.querystring || route.schema.params) standard.push('400');
    if (access !== 'public') standard.push('401', '403', '429');
    for (const code of standard)
      responses[code] ??= {
        description: STANDARD_RESPONSES[code],
        content: { 'application/json': { schema: ERROR_SCHEMA } },
      };
    const operation: Record<string, unknown> = {
      summary: spec?.summary ?? `${route.method} ${route.url}`,
      tags: [spec?.tag ?? 'other'],
      'x-permission': access,
      parameters: [
        ...parameters(route.schema.params, 'path'),
        ...parameters(route.schema.querystring, 'query'),
      ],
      responses,
      security: access === 'public' ? [] : [{ bearerAuth: [] }, { sessionCookie: [] }],
    };
    if (route.schema.body)
      operation.requestBody = {
        required: Array.isArray(route.schema.body.required) && route.schema.body.required.length > 0,
        content: { 'application/json': { schema: route.schema.body } },
      };
    (paths[openApiPath(route.url)] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'The hedge fund platform API. Authenticate with `Authorization: Bearer <token>` (hf token create) or the ' +
        "dashboard's session cookie (POST /auth/login; mutating requests then carry the X-HF-CSRF header). " +
        'Roles: viewer, trader, risk-officer, admin (docs/security.md).',
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API token (hft_…)' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'hf_session' },
      },
    },
    paths,
  };
}
