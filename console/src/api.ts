/**
 * The admin API from the browser: same origin, the admin token as a bearer (kept in this tab's
 * sessionStorage, never in a cookie or localStorage). Every failure is an ApiError carrying the
 * problem+json `detail` and field errors, which the screens show as they are.
 */
const TOKEN_KEY = 'gatehouse.adminToken';
const CSRF_KEY = 'gatehouse.csrfToken';

/** The admin token, when signed in with it (automation's credential; a person signs in with a name and password). */
export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/**
 * A signed-in person's session lives in an HttpOnly cookie the page never sees; writes carry the
 * session's CSRF token (from the sign-in answer or GET /api/me), which a cross-site form cannot read.
 */
export const csrf = {
  get: (): string | null => sessionStorage.getItem(CSRF_KEY),
  set: (value: string): void => sessionStorage.setItem(CSRF_KEY, value),
  clear: (): void => sessionStorage.removeItem(CSRF_KEY),
};

/** The Authorization header of the admin token, when signed in with it (a person's session rides on its cookie instead). */
export const bearer = (): Record<string, string> => {
  const current = token.get();
  return current ? { authorization: `Bearer ${current}` } : {};
};

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type FieldError = { field: string; messages: string[] };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail);
  }
  /** The messages for one field of a form, joined. */
  fieldMessage(field: string): string | undefined {
    const messages = this.errors.filter((e) => e.field === field || e.field.startsWith(`${field}.`)).flatMap((e) => e.messages);
    return messages.length > 0 ? messages.join('; ') : undefined;
  }
}

/** Listeners told when the token stops working (the app goes back to sign-in). */
const unauthorized = new Set<() => void>();
export const onUnauthorized = (listener: () => void): (() => void) => {
  unauthorized.add(listener);
  return () => unauthorized.delete(listener);
};

export type Response<T> = { body: T; etag: string | null };

export const request = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response<T>> => {
  const csrfToken = token.get() === null && WRITES.has(method) ? csrf.get() : null;
  let response: globalThis.Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        ...bearer(),
        ...(csrfToken ? { 'x-csrf-token': csrfToken } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The gateway could not be reached');
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const problem = (parsed ?? {}) as { detail?: string; code?: string; errors?: FieldError[] };
    if (response.status === 401) unauthorized.forEach((listener) => listener());
    throw new ApiError(response.status, problem.code ?? 'HTTP_ERROR', problem.detail ?? `${response.status} ${response.statusText}`, problem.errors ?? []);
  }
  return { body: parsed as T, etag: response.headers.get('etag') };
};

export const get = async <T>(path: string): Promise<T> => (await request<T>('GET', path)).body;
export const send = async <T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, ifMatch?: string | null): Promise<T> =>
  (await request<T>(method, path, body, ifMatch ? { 'if-match': ifMatch } : {})).body;

export const enc = encodeURIComponent;
