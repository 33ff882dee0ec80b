// The REST client: same-origin requests with the session cookie, the CSRF header on mutations, and server
// errors turned into ApiError (status, code, field, reason) for the UI to show.

export interface Session {
  readonly user: string;
  readonly role: 'viewer' | 'trader' | 'risk-officer' | 'admin';
  readonly via: string;
  readonly permissions: readonly string[];
  readonly csrf?: string;
  readonly expiresMs?: number | null;
  readonly ws: { readonly url: string | null; readonly port: number };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
    readonly field: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The network failed or the server is down: nothing answered. */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

let csrf: string | undefined;

export function setCsrf(value: string | undefined): void {
  csrf = value;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf !== undefined) headers['x-hf-csrf'] = csrf;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'the API is unreachable', 'NETWORK', undefined);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const fields = (parsed ?? {}) as { error?: unknown; code?: unknown; field?: unknown; message?: unknown };
    const message =
      typeof fields.error === 'string'
        ? fields.error
        : typeof fields.message === 'string'
          ? fields.message
          : `${response.status} ${response.statusText}`;
    throw new ApiError(
      response.status,
      message,
      typeof fields.code === 'string' ? fields.code : undefined,
      typeof fields.field === 'string' ? fields.field : undefined,
    );
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string): Promise<T> => request<T>('GET', path),
  post: <T>(path: string, body?: unknown): Promise<T> => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown): Promise<T> => request<T>('PATCH', path, body),
  delete: <T>(path: string): Promise<T> => request<T>('DELETE', path),
};

export async function currentSession(): Promise<Session | undefined> {
  try {
    const session = await api.get<Session>('/auth/session');
    setCsrf(session.csrf);
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    throw error;
  }
}

export async function login(token: string): Promise<Session> {
  const session = await api.post<Session>('/auth/login', { token });
  setCsrf(session.csrf);
  return session;
}

export async function logout(): Promise<void> {
  await api.post('/auth/logout');
  setCsrf(undefined);
}

export async function setControl(
  key: string,
  field: string,
  value: string | null,
  reason?: string,
): Promise<void> {
  await api.post('/control', { key, field, value, ...(reason ? { reason } : {}) });
}
