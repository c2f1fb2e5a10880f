import { eventCount } from '../support/events';
import { startTestGatehouse, TEST_ADMIN_TOKEN, type TestGatehouse } from '../support/gatehouse';
import { postStatus } from '../support/mcp-streams';
import { expectProblem } from '../support/problem';
import { createProfile, initializeRequest, issueKey, PROBE_SERVER, rawMcp, registerStdioServer } from '../support/proxy';

/** The default budget: 20 failed authentications per client address and minute. */
const LIMIT = 20;
const WRONG_KEY = `gh_${'x'.repeat(43)}`;

describe('failed-auth rate limiting per client address', () => {
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

  const expectBlocked = async (): Promise<void> => {
    const mcp = await rawMcp(`${gh.url}/mcp/dev`, { body: initializeRequest(), headers: { authorization: `Bearer ${key}` } });
    expect(mcp.status).toBe(429);
    expect(Number(mcp.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(mcp.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(mcp.json).toEqual({ jsonrpc: '2.0', id: null, error: { code: expect.any(Number), message: expect.stringMatching(/too many failed/i) } });
    // Valid credentials included: otherwise the answers would tell a guesser which guess was right.
    const api = await gh.api('GET', '/api/servers');
    expectProblem(api, 429, 'TOO_MANY_AUTH_FAILURES');
    expect(Number(api.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  };

  it(`answers 429 with Retry-After after ${LIMIT} wrong API keys, on MCP and on /api alike`, async () => {
    const count = eventCount(gh);
    for (let attempt = 0; attempt < LIMIT; attempt += 1) {
      expect(await postStatus(`${gh.url}/mcp/dev`, { bearer: WRONG_KEY }, initializeRequest())).toBe(401);
    }
    await expectBlocked();
    expect(await postStatus(`${gh.url}/mcp/dev/messages?sessionId=x`, { query: WRONG_KEY }, initializeRequest())).toBe(429);
    expect(eventCount(gh)).toBe(count);
  });

  it(`answers 429 after ${LIMIT} wrong admin tokens`, async () => {
    for (let attempt = 0; attempt < LIMIT; attempt += 1) {
      expectProblem(await gh.api('GET', '/api/keys', undefined, { authorization: `Bearer wrong-admin-token-${attempt}` }), 401);
    }
    const missing = await gh.api('POST', '/api/profiles', { slug: 'x' }, { authorization: '' });
    expectProblem(missing, 429, 'TOO_MANY_AUTH_FAILURES');
    await expectBlocked();
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
    expect((await gh.api('GET', '/api/settings', undefined, { authorization: `Bearer ${TEST_ADMIN_TOKEN}` })).status).toBe(200);
    expect(await postStatus(`${gh.url}/mcp/dev`, { bearer: key }, initializeRequest())).toBe(200);
  });
});
