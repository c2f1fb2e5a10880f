/**
 * Where the generations meet: a 2026-07-28 client calls a tool on a 2025 upstream that asks for
 * input in the middle of the call (`elicitation/create`, `sampling/createMessage`). The gateway
 * answers the client with an `InputRequiredResult`, keeps the upstream call waiting, and
 * completes it with the client's retry; the `requestState` it hands out is sealed and bound to
 * the client. Real parts: the SDK v2 client, raw 2026 POSTs, the SDK v1 conformance fixture.
 */
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { join } from 'node:path';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { FIXTURES } from '../support/mcp-client';
import { createProfile, issueKey, registerStdioServer, resultText } from '../support/proxy';

const VERSION = '2026-07-28';
const envelope = (capabilities: Record<string, unknown>) => ({
  'io.modelcontextprotocol/protocolVersion': VERSION,
  'io.modelcontextprotocol/clientInfo': { name: 'raw-2026', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': capabilities,
});
const ASKING = envelope({ elicitation: { form: {} }, sampling: {} });

jest.setTimeout(90_000);

describe('a 2026 client and a 2025 upstream that asks for input', () => {
  let gh: TestGatehouse;
  let key: string;
  let otherKey: string;
  const clients: ClientV2[] = [];

  const call = async (name: string, extra: Record<string, unknown>, meta: Record<string, unknown> = ASKING, as = key) => {
    const response = await fetch(`${gh.url}/mcp/asks`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${as}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream',
        'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': name,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name, arguments: {}, ...extra, _meta: meta } }),
    });
    return { status: response.status, body: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- asserted field by field
  };

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'conf', join(FIXTURES, 'conformance-server.js'));
    await createProfile(gh, 'asks', ['conf']);
    key = await issueKey(gh, ['asks'], 'first');
    otherKey = await issueKey(gh, ['asks'], 'second');
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gh?.stop();
  });

  it('the SDK v2 client answers the upstream\'s elicitation through input_required and gets the tool\'s result', async () => {
    const client = new ClientV2({ name: 'v2-answers', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: VERSION } } });
    await client.connect(new TransportV2(new URL(`${gh.url}/mcp/asks`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    clients.push(client);
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(String(request.params.message));
      return { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } };
    });
    const result = await client.callTool({ name: 'conf__test_elicitation', arguments: { message: 'Who are you?' } });
    expect(asked).toEqual(['Who are you?']);
    expect(resultText(result)).toBe('User response: action=accept, content={"username":"ada","email":"ada@example.com"}');
  });

  it('refuses a tampered, replayed or foreign requestState with -32602, and the honest retry still completes the call', async () => {
    const first = await call('conf__test_elicitation', { arguments: { message: 'Sure?' } });
    expect(first.status).toBe(200);
    const round1 = first.body.result;
    expect(round1.resultType).toBe('input_required');
    const [askKey] = Object.keys(round1.inputRequests);
    expect(round1.inputRequests[askKey]).toMatchObject({ method: 'elicitation/create', params: { message: 'Sure?' } });
    expect(typeof round1.requestState).toBe('string');
    const answer = { inputResponses: { [askKey]: { action: 'accept', content: { username: 'bob', email: 'b@example.com' } } } };

    const tampered = await call('conf__test_elicitation', { ...answer, requestState: `${round1.requestState}-TAMPERED` });
    expect([tampered.status, tampered.body.error?.code]).toEqual([200, -32602]);
    const flipped = await call('conf__test_elicitation', { ...answer, requestState: `A${round1.requestState.slice(1)}` });
    expect(flipped.body.error?.code).toBe(-32602);
    const foreign = await call('conf__test_elicitation', { ...answer, requestState: round1.requestState }, ASKING, otherKey);
    expect([foreign.body.error?.code, foreign.body.error?.message]).toEqual([-32602, expect.stringContaining('another client')]);

    const honest = await call('conf__test_elicitation', { ...answer, requestState: round1.requestState });
    expect(honest.body.result.resultType).toBe('complete');
    expect(honest.body.result.content[0].text).toBe('User response: action=accept, content={"username":"bob","email":"b@example.com"}');

    const replayed = await call('conf__test_elicitation', { ...answer, requestState: round1.requestState });
    expect([replayed.status, replayed.body.error?.code]).toEqual([200, -32602]);
  });

  it('translates sampling too, and asks again when the retry lacks the answer', async () => {
    const first = await call('conf__test_sampling', { arguments: { prompt: 'Say hi' } });
    const [askKey] = Object.keys(first.body.result.inputRequests);
    expect(first.body.result.inputRequests[askKey].method).toBe('sampling/createMessage');
    const again = await call('conf__test_sampling', { inputResponses: {}, requestState: first.body.result.requestState });
    expect(again.body.result.resultType).toBe('input_required');
    expect(Object.keys(again.body.result.inputRequests)).toEqual([askKey]);
    const sampled = { role: 'assistant', content: { type: 'text', text: 'hi there' }, model: 'test-model' };
    const done = await call('conf__test_sampling', { inputResponses: { [askKey]: sampled }, requestState: again.body.result.requestState });
    expect(done.body.result.resultType).toBe('complete');
    expect(JSON.stringify(done.body.result.content)).toContain('hi there');
  });

  it('translates roots/list', async () => {
    const first = await call('conf__test_input_required_result_list_roots', {}, envelope({ roots: {} }));
    const [askKey] = Object.keys(first.body.result.inputRequests);
    expect(first.body.result.inputRequests[askKey].method).toBe('roots/list');
    const roots = { roots: [{ uri: 'file:///work/a', name: 'a' }, { uri: 'file:///work/b' }] };
    const done = await call('conf__test_input_required_result_list_roots', { inputResponses: { [askKey]: roots }, requestState: first.body.result.requestState }, envelope({ roots: {} }));
    expect(done.body.result.content[0].text).toBe('Roots: file:///work/a, file:///work/b');
  });

  it('does not ask a client for what it did not declare: the upstream hears a refusal, the client no input_required', async () => {
    const refused = await call('conf__test_elicitation', { arguments: { message: 'x' } }, envelope({}));
    expect(refused.status).toBeLessThan(500);
    expect(refused.body.result?.resultType).not.toBe('input_required');
  });
});
