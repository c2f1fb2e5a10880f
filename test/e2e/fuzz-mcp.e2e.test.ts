import fc from 'fast-check';
import { eventCount } from '../support/events';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { openStream, type OpenStream } from '../support/mcp-streams';
import { createProfile, issueKey, patchSettings, PROBE_SERVER, rawMcp, rawSession, registerStdioServer, resultText, sessionHeaders } from '../support/proxy';

/**
 * Property-based fuzzing of JSON-RPC on the MCP endpoints (Streamable HTTP with and without a
 * session, and the legacy SSE messages endpoint): no 5xx, every body answered is JSON-RPC,
 * nothing is appended to the configuration log, and the gateway (and its upstream) keep serving.
 */

const RUNS_PER_TARGET = 150;

const METHODS = [
  'initialize', 'ping', 'tools/list', 'tools/call', 'prompts/list', 'prompts/get', 'resources/list', 'resources/read',
  'resources/templates/list', 'resources/subscribe', 'resources/unsubscribe', 'logging/setLevel', 'completion/complete',
  'notifications/initialized', 'notifications/cancelled', 'notifications/progress', 'notifications/roots/list_changed',
  'sampling/createMessage', 'elicitation/create', 'roots/list',
];
/** Real tool names (the side-effect-free ones: add_tool would change the catalog, wait would stall). */
const TOOLS = ['probe__whoami', 'probe__stats', 'probe__log', 'probe__touch'];

const json = fc.jsonValue({ maxDepth: 3 });
const params = fc.oneof(
  json,
  fc.record({ name: fc.oneof(fc.constantFrom(...TOOLS), fc.string()), arguments: json }, { requiredKeys: [] }),
  fc.record({ uri: fc.oneof(fc.constantFrom('probe://a', 'probe://b'), fc.string()), level: fc.oneof(fc.constantFrom('debug', 'info', 'emergency'), fc.string()) }, { requiredKeys: [] }),
  fc.record({ protocolVersion: fc.oneof(fc.constantFrom('2025-06-18', '2024-11-05'), fc.string()), capabilities: json, clientInfo: json }, { requiredKeys: [] }),
  fc.record({ requestId: fc.oneof(fc.integer(), fc.string()), progressToken: fc.oneof(fc.integer(), fc.string()), progress: fc.double() }, { requiredKeys: [] }),
);
const message = fc.record(
  {
    jsonrpc: fc.oneof({ weight: 8, arbitrary: fc.constant('2.0') }, { weight: 1, arbitrary: json }),
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.constant(null), json),
    method: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...METHODS) }, { weight: 1, arbitrary: fc.string() }),
    params,
    result: json,
    error: json,
  },
  { requiredKeys: [] },
);
/** A body: one message, a batch, any JSON, or no JSON at all. */
const body = fc.oneof(
  { weight: 6, arbitrary: message.map((m) => JSON.stringify(m)) },
  { weight: 2, arbitrary: fc.array(message, { maxLength: 4 }).map((batch) => JSON.stringify(batch)) },
  { weight: 1, arbitrary: json.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
);

describe('fuzzing JSON-RPC on the MCP endpoints', () => {
  let gh: TestGatehouse;
  let key: string;
  let sessionId: string;
  let sse: OpenStream;
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'probe', PROBE_SERVER, ['--label', 'fuzz']);
    await createProfile(gh, 'dev', ['probe']);
    // A stalled upstream call must not outlast the test.
    await patchSettings(gh, { requestTimeoutMs: 2_000 });
    key = await issueKey(gh, ['dev']);
    const client = await connectClient(gh.url, 'dev', { key });
    await client.listTools();
    await client.close();
    sessionId = await rawSession(`${gh.url}/mcp/dev`, { authorization: `Bearer ${key}` });
    sse = await openStream(`${gh.url}/mcp/dev/sse`, { bearer: key }, {}, true);
  });
  afterAll(async () => {
    sse.close();
    await gh.stop();
  });

  const send = async (url: string, raw: string, headers: Record<string, string>): Promise<void> => {
    const before = eventCount(gh);
    const response = await rawMcp(url, { raw, headers: { authorization: `Bearer ${key}`, ...headers } });
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    expect(response.status).toBeLessThan(500);
    if (response.status >= 400) {
      expect(response.json).toEqual(expect.objectContaining({ jsonrpc: '2.0', error: expect.objectContaining({ code: expect.any(Number) }) }));
    }
    expect(eventCount(gh)).toBe(before);
  };

  it('Streamable HTTP, inside a session', async () => {
    await fc.assert(fc.asyncProperty(body, (raw) => send(`${gh.url}/mcp/dev`, raw, sessionHeaders(sessionId))), { numRuns: RUNS_PER_TARGET });
  });

  it('Streamable HTTP, without a session (initialize or not)', async () => {
    await fc.assert(fc.asyncProperty(body, (raw) => send(`${gh.url}/mcp/dev`, raw, {})), { numRuns: RUNS_PER_TARGET });
  });

  it('legacy SSE messages endpoint', async () => {
    const endpoint = sse.endpoint as string;
    await fc.assert(fc.asyncProperty(body, (raw) => send(endpoint, raw, {})), { numRuns: RUNS_PER_TARGET });
  });

  it('leaves the gateway and its upstream serving', async () => {
    expect((await fetch(`${gh.url}/healthz`)).status).toBe(200);
    const client = await connectClient(gh.url, 'dev', { key });
    try {
      const result = await client.callTool({ name: 'probe__whoami', arguments: {} });
      expect(resultText(result)).toContain('fuzz');
    } finally {
      await client.close();
    }
    expect([...statuses.keys()].some((status) => status >= 400)).toBe(true);
    expect([...statuses.keys()].some((status) => status < 300)).toBe(true);
  });
});
