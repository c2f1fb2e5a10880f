import { fixtureServer } from '../fixtures/upstream-fixtures';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { createProfile, PROBE_SERVER, rawMcp, rawSession, registerStdioServer, sessionHeaders } from '../support/proxy';

/**
 * A Streamable HTTP client that never opens the GET stream hears what an upstream asks or
 * logs during its call on that call's own POST stream: the sampling request, then (after it
 * answers with a second POST) the result; a log line before the result.
 */

type Message = { jsonrpc: '2.0'; id?: number | string; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown> };

/** Reads SSE events from a streaming response as they come, until `until` says stop or the stream ends. */
const readEvents = async (response: Response, until: (message: Message) => Promise<boolean>): Promise<Message[]> => {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const seen: Message[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return seen;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame.split('\n').find((line) => line.startsWith('data: '));
      if (data === undefined) continue;
      const message = JSON.parse(data.slice(6)) as Message;
      seen.push(message);
      if (await until(message)) {
        await reader.cancel();
        return seen;
      }
    }
  }
};

describe('messages an upstream sends during a call, to a client without a GET stream', () => {
  let gh: TestGatehouse;
  let endpoint: string;

  const callStreaming = (sessionId: string, body: object): Promise<Response> =>
    fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...sessionHeaders(sessionId) },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'conf', fixtureServer('conformance-server.js'));
    await registerStdioServer(gh, 'probe', PROBE_SERVER, ['--label', 'rel']);
    await createProfile(gh, 'rel', ['conf', 'probe'], { auth: { apiKey: false } });
    endpoint = `${gh.url}/mcp/rel`;
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('gets the sampling request on the call stream, answers it, and then gets the result there', async () => {
    const sessionId = await rawSession(endpoint, {}, { sampling: {} });
    const response = await callStreaming(sessionId, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'conf__test_sampling', arguments: { prompt: 'hello' } } });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    let answered = 0;
    const events = await readEvents(response, async (message) => {
      if (message.method === 'sampling/createMessage') {
        answered += 1;
        const reply = await rawMcp(endpoint, {
          body: { jsonrpc: '2.0', id: message.id, result: { role: 'assistant', content: { type: 'text', text: 'sampled answer' }, model: 'test-model' } },
          headers: sessionHeaders(sessionId),
        });
        expect(reply.status).toBe(202);
        return false;
      }
      return message.id === 7;
    });
    expect(answered).toBe(1);
    expect(events.map((event) => event.method ?? `answer ${String(event.id)}`)).toEqual(['sampling/createMessage', 'answer 7']);
    expect(JSON.stringify(events[1].result)).toContain('sampled answer');
  });

  it('gets an upstream log line about the call on the call stream, before the result', async () => {
    const sessionId = await rawSession(endpoint);
    const level = await rawMcp(endpoint, { body: { jsonrpc: '2.0', id: 1, method: 'logging/setLevel', params: { level: 'debug' } }, headers: sessionHeaders(sessionId) });
    expect(level.status).toBe(200);
    const response = await callStreaming(sessionId, { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'probe__log', arguments: { level: 'warning', data: 'about call 8' } } });
    const events = await readEvents(response, async (message) => message.id === 8);
    expect(events.map((event) => event.method ?? `answer ${String(event.id)}`)).toEqual(['notifications/message', 'answer 8']);
    expect(events[0].params).toMatchObject({ level: 'warning', data: 'about call 8' });
  });
});
