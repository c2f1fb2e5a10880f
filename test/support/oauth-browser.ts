/**
 * Plays the admin's browser through an authorization at the test authorization server
 * (test/fixtures/oauth/authorization-server.mjs): follows its redirects with its cookies,
 * logs in and consents over HTTP, and stops at the first URL outside the authorization server
 * (Gatehouse's callback), which it requests as the browser would and returns.
 */
export type BrowserOutcome = Readonly<{ callbackUrl: URL; status: number; body: unknown }>;

const MAX_STEPS = 20;

export const authorizeInBrowser = async (
  authorizationUrl: string,
  options: Readonly<{ account?: string; deny?: boolean }> = {},
): Promise<BrowserOutcome> => {
  const origin = new URL(authorizationUrl).origin;
  const cookies = new Map<string, string>();
  const request = async (url: URL, method = 'GET'): Promise<Response> => {
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { method, redirect: 'manual', headers: cookie === '' ? {} : { cookie } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair.indexOf('=');
      cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim());
    }
    return response;
  };

  let next: { url: URL; method: string } = { url: new URL(authorizationUrl), method: 'GET' };
  for (let step = 0; step < MAX_STEPS; step += 1) {
    if (next.url.origin !== origin) {
      const response = await fetch(next.url, { headers: { accept: 'application/json' } });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: keep the text.
      }
      return { callbackUrl: next.url, status: response.status, body };
    }
    const response = await request(next.url, next.method);
    const location = response.headers.get('location');
    if (location !== null) {
      await response.body?.cancel();
      next = { url: new URL(location, next.url), method: 'GET' };
      continue;
    }
    if (!response.ok) throw new Error(`authorization server answered ${response.status}: ${await response.text()}`);
    const { uid, prompt } = (await response.json()) as { uid: string; prompt: string };
    const action = options.deny ? 'deny' : prompt === 'login' ? 'login' : 'confirm';
    const target = new URL(`/interaction/${uid}/${action}`, origin);
    if (action === 'login') target.searchParams.set('account', options.account ?? 'alice');
    next = { url: target, method: 'POST' };
  }
  throw new Error(`no callback within ${MAX_STEPS} redirects`);
};
