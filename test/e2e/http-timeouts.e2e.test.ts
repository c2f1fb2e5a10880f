import { connect } from 'node:net';
import { eventCount } from '../support/events';
import { startTestGatehouse, TEST_ADMIN_TOKEN, type TestGatehouse } from '../support/gatehouse';
import { openStream } from '../support/mcp-streams';
import { createProfile, issueKey, PROBE_SERVER, rawMcp, rawSession, registerStdioServer, sessionHeaders } from '../support/proxy';

/** Short, so the test is quick; Node looks for late requests every second, so an answer comes within about a second of it. */
const TIMEOUT_MS = 1_500;

/** Writes `head` (and never the rest) on a raw connection; resolves with what came back and how long until the server closed it. */
const stall = (port: number, head: string): Promise<{ answer: string; closedAfterMs: number }> =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started }));
    socket.on('error', reject);
    socket.setTimeout(15_000, () => socket.destroy(new Error('the server kept the stalled connection open')));
  });

describe(`HTTP request timeouts (GATEHOUSE_HTTP_REQUEST_TIMEOUT_MS=${TIMEOUT_MS})`, () => {
  let gh: TestGatehouse;
  let key: string;

  beforeAll(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_HTTP_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) });
    await registerStdioServer(gh, 'probe', PROBE_SERVER);
    await createProfile(gh, 'dev', ['probe']);
    key = await issueKey(gh, ['dev']);
  });
  afterAll(async () => {
    await gh.stop();
  });

  it.each<[string, () => string]>([
    ['a REST body that never finishes', () => `POST /api/profiles HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"slug":`],
    ['an MCP body that never finishes', () => `POST /mcp/dev HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{"jsonrpc":`],
    ['headers that never finish', () => 'GET /api/servers HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '],
  ])('answers %s with 408 and closes the connection', async (_, head) => {
    const count = eventCount(gh);
    const { answer, closedAfterMs } = await stall(gh.port, head());
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('application/problem+json');
    expect(closedAfterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(closedAfterMs).toBeLessThan(TIMEOUT_MS + 3_000);
    expect(eventCount(gh)).toBe(count);
  });

  it('does not bound responses: a stream and a slow tool call outlive the request timeout', async () => {
    const auth = { authorization: `Bearer ${key}` };
    const sessionId = await rawSession(`${gh.url}/mcp/dev`, auth);
    const stream = await openStream(`${gh.url}/mcp/dev`, { bearer: key }, sessionHeaders(sessionId));
    expect(stream.status).toBe(200);
    let ended = false;
    void stream.ended.then(() => (ended = true));
    const call = await rawMcp(`${gh.url}/mcp/dev`, {
      body: { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'probe__wait', arguments: { ms: TIMEOUT_MS + 1_500 } } },
      headers: sessionHeaders(sessionId, auth),
    });
    expect(call.status).toBe(200);
    expect(call.text).toContain('"id":7');
    expect(call.text).not.toContain('"error"');
    expect(ended).toBe(false);
    stream.close();
  });
});
