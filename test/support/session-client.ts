import type { ApiResponse } from './gatehouse';

/**
 * A person's browser as far as the REST API sees it: it keeps the cookies the server sets
 * (`Set-Cookie`, honouring Max-Age=0) and sends them back, and nothing else. No Authorization header.
 */
export class SessionClient {
  readonly cookies = new Map<string, string>();
  csrfToken: string | undefined;

  constructor(readonly baseUrl: string) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  keep(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (attributes.some((attribute) => /^max-age=0$/i.test(attribute)) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookies.size > 0 ? { cookie: this.cookieHeader } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    this.keep(response);
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  /** A write with the session's CSRF token, as the web console would send it. */
  write(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    return this.request(method, path, body, this.csrfToken === undefined ? {} : { 'x-csrf-token': this.csrfToken });
  }

  async signIn(name: string, password: string): Promise<ApiResponse> {
    const response = await this.request('POST', '/api/session', { name, password });
    if (response.status === 201) this.csrfToken = response.body.csrfToken;
    return response;
  }
}

/** Whatever can make users as the admin: a test gateway's `api`. */
type AdminApi = Readonly<{ url: string; api: (method: string, path: string, body?: unknown) => Promise<ApiResponse> }>;

/** A member registered by the admin, signed in in a browser of their own, with an API key of their own for `profiles`. */
export const signedInMemberWithKey = async (gh: AdminApi, name: string, password: string, profiles: readonly string[]): Promise<{ person: SessionClient; key: string }> => {
  expect((await gh.api('POST', '/api/users', { name, role: 'member', password })).status).toBe(201);
  const person = new SessionClient(gh.url);
  expect((await person.signIn(name, password)).status).toBe(201);
  const key = await person.write('POST', '/api/keys', { name: `${name}'s client`, profiles });
  expect(key.status).toBe(201);
  return { person, key: key.body.key as string };
};
