import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/** Where the test client says it is redirected to; nothing listens there: the browser stops before it. */
export const CLIENT_REDIRECT = 'http://127.0.0.1:9/callback';

/**
 * The SDK's OAuthClientProvider as an MCP client keeps it, in memory: what it registered, its
 * tokens, its PKCE verifier, and the authorization URL it would open in a browser.
 */
export class MemoryOAuthClient implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;
  readonly issued: OAuthTokens[] = [];

  constructor(private readonly name = 'sdk-test-client') {}

  get redirectUrl(): string {
    return CLIENT_REDIRECT;
  }

  get clientMetadata(): OAuthClientMetadata {
    return { client_name: this.name, redirect_uris: [CLIENT_REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.client;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.client = info;
  }

  tokens(): OAuthTokens | undefined {
    return this.saved;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
    this.issued.push(tokens);
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    return this.verifier;
  }
}

/** Signs a person in at /login as a browser would; returns the browser's cookies (the session). */
export const signInAsPerson = async (baseUrl: string, name: string, password: string): Promise<Map<string, string>> => {
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: baseUrl },
    body: new URLSearchParams({ name, password, return_to: '/login' }),
  });
  if (response.status !== 303) throw new Error(`sign-in: HTTP ${response.status} ${await response.text()}`);
  const cookies = new Map<string, string>();
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const index = pair.indexOf('=');
    cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim());
  }
  return cookies;
};

export type SignInOutcome = Readonly<{ code: string | null; error: string | null; redirect: URL; consentStatus: number; consentPage: string }>;

const MAX_STEPS = 10;

/**
 * A person's browser at Gatehouse's authorization server: opens the authorization URL, follows
 * redirects with its cookies to the login + consent page, fills it in (admin token, profile,
 * allow or deny) and follows on until it is sent to the client's redirect URI, which it does
 * not open: the code (or error) is read from that URL.
 */
export const signInAndConsent = async (
  authorizationUrl: URL,
  form: Readonly<{ adminToken?: string; profile?: string; action?: 'allow' | 'deny' }>,
  /** Cookies the browser already has (a person's session after /login). */
  initialCookies: ReadonlyMap<string, string> = new Map(),
): Promise<SignInOutcome> => {
  const origin = authorizationUrl.origin;
  const cookies = new Map<string, string>(initialCookies);
  const request = async (url: URL, init: RequestInit = {}): Promise<Response> => {
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), ...(cookie === '' ? {} : { cookie }) } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair.indexOf('=');
      cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim());
    }
    return response;
  };
  const follow = async (start: Response, from: URL): Promise<{ response: Response; url: URL }> => {
    let response = start;
    let url = from;
    for (let step = 0; step < MAX_STEPS && response.status >= 300 && response.status < 400; step += 1) {
      url = new URL(response.headers.get('location') as string, url);
      await response.body?.cancel();
      if (url.origin !== origin) return { response, url };
      response = await request(url);
    }
    return { response, url };
  };

  const toPage = await follow(await request(authorizationUrl), authorizationUrl);
  if (toPage.url.origin !== origin) throw new Error(`sent to ${toPage.url.href} before any consent page`);
  const consentPage = await toPage.response.text();
  if (toPage.response.status !== 200) throw new Error(`consent page: HTTP ${toPage.response.status} ${consentPage}`);
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(consentPage)?.[1];
  const body = new URLSearchParams({
    action: form.action ?? 'allow',
    ...(form.adminToken !== undefined ? { adminToken: form.adminToken } : {}),
    ...(csrf !== undefined ? { csrf_token: csrf } : {}),
    ...(form.profile ? { profile: form.profile } : {}),
  });
  const posted = await request(toPage.url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const after = await follow(posted, toPage.url);
  if (after.url.origin === origin) {
    return { code: null, error: null, redirect: after.url, consentStatus: after.response.status, consentPage: await after.response.text() };
  }
  return { code: after.url.searchParams.get('code'), error: after.url.searchParams.get('error'), redirect: after.url, consentStatus: posted.status, consentPage };
};
