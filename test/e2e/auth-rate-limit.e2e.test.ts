import { eventCount } from '../support/events';
import { startTestGatehouse, TEST_ADMIN_TOKEN, type TestGatehouse } from '../support/gatehouse';
import { postStatus } from '../support/mcp-streams';
import { expectProblem } from '../support/problem';
import { createProfile, initializeRequest, issueKey, PROBE_SERVER, rawMcp, registerStdioServer } from '../support/proxy';

/** The default budgets: 20 failed authentications per caller (address and credential prefix) and 200 per address, per minute. */
const LIMIT = 20;
const ADDRESS_LIMIT = 200;
const WRONG_KEY = `gh_${'x'.repeat(43)}`;

describe('failed-auth rate limiting per caller', () => {
  let gh: TestGatehouse;
  let key: string;

  beforeEach(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'probe', PROBE_SERVER);
    await createProfile(gh, 'dev', ['probe']);
    key = await issueKey(gh, ['dev']);
  });
  afterEach(async () => {
    await gh.stop();
  });

  const expectMcpRefused = async (credential: string): Promise<void> => {
    const mcp = await rawMcp(`${gh.url}/mcp/dev`, { body: initializeRequest(), headers: { authorization: `Bearer ${credential}` } });
    expect(mcp.status).toBe(429);
    expect(Number(mcp.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(mcp.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(mcp.json).toEqual({ jsonrpc: '2.0', id: null, error: { code: expect.any(Number), message: expect.stringMatching(/too many failed/i) } });
  };

  /** Valid credentials from the same address are served: one failing local process does not lock the others out. */
  const expectValidServed = async (): Promise<void> => {
    expect(await postStatus(`${gh.url}/mcp/dev`, { bearer: key }, initializeRequest())).toBe(200);
    expect((await gh.api('GET', '/api/servers')).status).toBe(200);
  };

  it(`answers 429 with Retry-After to the caller that sent ${LIMIT} wrong API keys, and only to it`, async () => {
    const count = eventCount(gh);
    for (let attempt = 0; attempt < LIMIT; attempt += 1) {
      expect(await postStatus(`${gh.url}/mcp/dev`, { bearer: WRONG_KEY }, initializeRequest())).toBe(401);
    }
    await expectMcpRefused(WRONG_KEY);
    // The same key in the query of the legacy endpoint is the same caller.
    expect(await postStatus(`${gh.url}/mcp/dev/messages?sessionId=x`, { query: WRONG_KEY }, initializeRequest())).toBe(429);
    await expectValidServed();
    // Another wrong key from the same address is another caller: refused, not yet limited.
    expect(await postStatus(`${gh.url}/mcp/dev`, { bearer: `gh_${'y'.repeat(43)}` }, initializeRequest())).toBe(401);
    expect(eventCount(gh)).toBe(count);
  });

  it(`answers 429 after ${LIMIT} wrong admin tokens, while the right one still works`, async () => {
    for (let attempt = 0; attempt < LIMIT; attempt += 1) {
      expectProblem(await gh.api('GET', '/api/keys', undefined, { authorization: `Bearer wrong-admin-token-${attempt}` }), 401);
    }
    const limited = await gh.api('POST', '/api/profiles', { slug: 'x' }, { authorization: 'Bearer wrong-admin-token-again' });
    expectProblem(limited, 429, 'TOO_MANY_AUTH_FAILURES');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // No credential at all is another caller.
    expectProblem(await gh.api('GET', '/api/keys', undefined, { authorization: '' }), 401);
    await expectValidServed();
    await expectMcpRefused(`wrong-admin-token-${LIMIT}`); // one budget for REST and MCP
  });

  it(`bounds an address that guesses many different keys (${ADDRESS_LIMIT} a minute), valid keys still served`, async () => {
    const guesses = Array.from({ length: ADDRESS_LIMIT }, (_, attempt) => `gh_${String(attempt).padStart(5, '0')}${'z'.repeat(38)}`);
    for (let start = 0; start < guesses.length; start += 20) {
      const statuses = await Promise.all(guesses.slice(start, start + 20).map((guess) => postStatus(`${gh.url}/mcp/dev`, { bearer: guess }, initializeRequest())));
      expect(new Set(statuses)).toEqual(new Set([401]));
    }
    await expectMcpRefused(`gh_fresh${'z'.repeat(38)}`);
    await expectValidServed();
  });

  it('does not count successes, nor the refusal of a valid key for another profile', async () => {
    await createProfile(gh, 'ops', ['probe']);
    for (let attempt = 0; attempt < LIMIT * 2; attempt += 1) {
      expect((await gh.api('GET', '/api/settings')).status).toBe(200);
      expect(await postStatus(`${gh.url}/mcp/ops`, { bearer: key }, initializeRequest())).toBe(403);
    }
    for (let attempt = 0; attempt < LIMIT - 1; attempt += 1) {
      expect((await gh.api('GET', '/api/settings', undefined, { authorization: 'Bearer nope-nope-nope' })).status).toBe(401);
    }
    expect((await gh.api('GET', '/api/settings', undefined, { authorization: 'Bearer nope-nope-nope' })).status).toBe(401);
    expect((await gh.api('GET', '/api/settings', undefined, { authorization: 'Bearer nope-nope-nope' })).status).toBe(429);
    expect((await gh.api('GET', '/api/settings', undefined, { authorization: `Bearer ${TEST_ADMIN_TOKEN}` })).status).toBe(200);
    expect(await postStatus(`${gh.url}/mcp/dev`, { bearer: key }, initializeRequest())).toBe(200);
  });
});
