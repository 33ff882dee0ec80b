// Request schemas and the OpenAPI description: unknown fields rejected with the field named, bodies taken as
// sent (no coercion), query strings read as their declared types, and a document that lists what is served.
import { describe, expect, it } from 'vitest';
import {
  compileValidator,
  openApiDocument,
  ROUTE_SPECS,
  routeSpec,
  type JsonSchema,
  type RequestValidationError,
} from './openapi.ts';

const CONTROL = routeSpec('POST', '/control')!.body!;
const ORDERS = routeSpec('GET', '/api/orders')!.querystring!;

function error(
  schema: JsonSchema,
  part: 'body' | 'querystring',
  data: unknown,
): RequestValidationError | undefined {
  const result = compileValidator(schema, part)(data);
  return 'error' in result ? result.error : undefined;
}

describe('request validation', () => {
  it('compiles every route schema', () => {
    for (const spec of ROUTE_SPECS)
      for (const [part, schema] of [
        ['body', spec.body],
        ['querystring', spec.querystring],
        ['params', spec.params],
      ] as const)
        if (schema) expect(() => compileValidator(schema, part), `${spec.method} ${spec.url}`).not.toThrow();
  });

  it('names the field and the reason', () => {
    expect(
      error(CONTROL, 'body', { key: 'policy:kill_switch', field: 'enabled', value: 'true', extra: 1 }),
    ).toMatchObject({
      field: 'extra',
      reason: 'unknown field',
    });
    expect(error(CONTROL, 'body', { key: 'policy:kill_switch', field: 'enabled' })).toMatchObject({
      field: 'value',
      reason: 'required',
    });
    expect(error(CONTROL, 'body', { key: 'nope', field: 'f', value: null })?.field).toBe('key');
    expect(error(CONTROL, 'body', { key: 'policy:kill_switch', field: '', value: null })).toMatchObject({
      field: 'field',
      reason: 'must not be empty',
    });
    expect(error(CONTROL, 'body', [1, 2])).toMatchObject({
      field: '',
      reason: 'must be an object, not an array',
    });
    expect(error(CONTROL, 'body', null)).toBeDefined();
  });

  it('takes body values as sent: a number is not a string, "true" is not a boolean', () => {
    expect(error(CONTROL, 'body', { key: 'policy:kill_switch', field: 'enabled', value: 1 })).toMatchObject({
      field: 'value',
      reason: 'must be a string or null, not a number',
    });
    const users = routeSpec('POST', '/api/users')!.body!;
    expect(error(users, 'body', { name: 'ann', role: 'viewer', issueToken: 'true' })?.field).toBe(
      'issueToken',
    );
  });

  it('reads query strings as their declared types, strictly', () => {
    const validate = compileValidator(ORDERS, 'querystring');
    expect(validate({ limit: '25', status: 'open' })).toEqual({ value: { limit: 25, status: 'open' } });
    expect(error(ORDERS, 'querystring', { limit: '25.5' })?.reason).toBe('must be an integer, not a string');
    expect(error(ORDERS, 'querystring', { limit: '0' })?.reason).toBe('must be ≥ 1');
    expect(error(ORDERS, 'querystring', { limit: ['1', '2'] })?.reason).toBe('given more than once');
    expect(error(ORDERS, 'querystring', { page: '2' })).toMatchObject({ field: 'page', part: 'query' });
  });

  it('accepts a missing body only where no field is required', () => {
    const reconcile = routeSpec('POST', '/reconcile')!.body!;
    expect(compileValidator(reconcile, 'body')(null)).toEqual({ value: null });
    expect(error(CONTROL, 'body', null)?.part).toBe('body');
  });

  it('fails at start on a keyword it does not enforce', () => {
    expect(() => compileValidator({ type: 'object', oneOf: [] }, 'body')).toThrow(
      /unsupported keyword "oneOf"/,
    );
  });
});

describe('OpenAPI document', () => {
  it('describes the registered routes with their parameters, bodies and security', () => {
    const routes = ['GET /health', 'GET /api/orders/:id', 'POST /control', 'GET /api/extra'].map((r) => {
      const [method = '', url = ''] = r.split(' ');
      const spec = routeSpec(method, url);
      return {
        method,
        url,
        spec,
        schema: {
          ...(spec?.params ? { params: spec.params } : {}),
          ...(spec?.querystring ? { querystring: spec.querystring } : {}),
          ...(spec?.body ? { body: spec.body } : {}),
        },
      };
    });
    const doc = openApiDocument(routes, { title: 't', version: '1' }) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            security: unknown[];
            parameters: { name: string; in: string }[];
            requestBody?: unknown;
            responses: Record<string, unknown>;
            'x-permission': string;
          }
        >
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/extra', '/api/orders/{id}', '/control', '/health']);
    expect(doc.paths['/health']?.get?.security).toEqual([]);
    expect(doc.paths['/api/orders/{id}']?.get?.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 128 } },
    ]);
    const control = doc.paths['/control']?.post;
    expect(control?.requestBody).toBeDefined();
    expect(Object.keys(control?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '429']),
    );
    expect(control?.['x-permission']).toBe('control');
    expect(doc.paths['/api/extra']?.get?.['x-permission']).toBe('read');
  });
});
