/**
 * Questions from a 2025 upstream while several calls wait on the same (shared) connection to it:
 * each question must reach the call it belongs to, never another call or another client. The
 * upstream (session-server.js, SDK v1) holds each `ask_together` call until all of them are in
 * flight, then each asks about its own label. Over Streamable HTTP the upstream sends a question
 * on the stream of the POST that carried its call, which says which call it is for; over stdio
 * nothing does, so there the gateway refuses a question it cannot place instead of guessing;
 * a call whose question its client never answered is no candidate there (its handler waits for
 * that answer) until its hold expires and the upstream call is cancelled.
 * Real parts: the SDK v2 client pinned to 2026-07-28, raw 2026 POSTs, an SDK v1 upstream both
 * over Streamable HTTP and over stdio.
 */
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { fixtureServer, startHttpServer, type RunningHttpServer } from '../fixtures/upstream-fixtures';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { createProfile, issueKey, patchSettings, rawMcp, registerStdioServer, resultText, waitFor, type RawResponse } from '../support/proxy';

const VERSION = '2026-07-28';
const SESSION_SERVER = fixtureServer('session-server.js');

jest.setTimeout(60_000);

describe('a 2025 upstream asks questions while several 2026 calls wait on one connection to it', () => {
  let gh: TestGatehouse;
  let upstream: RunningHttpServer;
  let modern: RunningHttpServer;
  let keyA: string;
  let keyB: string;
  const clients: Array<ClientV2 | Client> = [];

  /** An SDK v2 client that answers each question with its own name and the question. */
  const answeringClient = async (name: string, key: string, asked: string[]): Promise<ClientV2> => {
    const client = new ClientV2({ name, version: '1.0.0' }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: VERSION } } });
    await client.connect(new TransportV2(new URL(`${gh.url}/mcp/together`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(String(request.params.message));
      return { action: 'accept', content: { word: `${name} on ${String(request.params.message)}` } };
    });
    clients.push(client);
    return client;
  };

  /** A first 2026 round of `tools/call`, raw (`retry`: a later round's fields): what comes back is the gateway's answer to that one request. */
  const firstRound = (tool: string, label: string, together: number, key = keyA, retry: Record<string, unknown> = {}): Promise<RawResponse> =>
    rawMcp(`${gh.url}/mcp/together`, {
      headers: { authorization: `Bearer ${key}`, 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': tool },
      body: {
        jsonrpc: '2.0', id: 1, method: 'tools/call',
        params: {
          ...retry,
          name: tool, arguments: { label, together },
          _meta: {
            'io.modelcontextprotocol/protocolVersion': VERSION,
            'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1.0.0' },
            'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
          },
        },
      },
    });

  const questionsIn = (response: RawResponse): string[] =>
    Object.values((response.json?.result?.inputRequests ?? {}) as Record<string, { params: { message: string } }>).map((ask) => ask.params.message);

  beforeAll(async () => {
    [upstream, modern] = await Promise.all([startHttpServer([SESSION_SERVER, '--http', '0']), startHttpServer([fixtureServer('fast-server-v2.js'), '--http', '0'])]);
    gh = await startTestGatehouse();
    expect((await gh.api('POST', '/api/servers', { name: 'http', transport: 'streamable_http', url: `${upstream.baseUrl}/mcp` })).status).toBe(201);
    expect((await gh.api('POST', '/api/servers', { name: 'modern', transport: 'streamable_http', url: `${modern.baseUrl}/mcp` })).status).toBe(201);
    await registerStdioServer(gh, 'pipe', SESSION_SERVER);
    await registerStdioServer(gh, 'parked', SESSION_SERVER);
    await createProfile(gh, 'together', ['http', 'pipe', 'modern', 'parked']);
    keyA = await issueKey(gh, ['together'], 'client-a');
    keyB = await issueKey(gh, ['together'], 'client-b');
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gh?.stop();
    await upstream?.stop();
    await modern?.stop();
  });

  it('over Streamable HTTP, two clients each get their own question and their own answer back', async () => {
    const askedA: string[] = [];
    const askedB: string[] = [];
    const [a, b] = await Promise.all([answeringClient('client-a', keyA, askedA), answeringClient('client-b', keyB, askedB)]);
    const [fromA, fromB] = await Promise.all([
      a.callTool({ name: 'http__ask_together', arguments: { label: 'A', together: 2 } }),
      b.callTool({ name: 'http__ask_together', arguments: { label: 'B', together: 2 } }),
    ]);
    expect([askedA, askedB]).toEqual([['A word for A?'], ['A word for B?']]);
    expect(resultText(fromA)).toBe('answer for A: accept {"word":"client-a on A word for A?"}');
    expect(resultText(fromB)).toBe('answer for B: accept {"word":"client-b on A word for B?"}');
  });

  it('over Streamable HTTP, three calls of one key each get exactly their own question in their input_required', async () => {
    const rounds = await Promise.all(['C', 'D', 'E'].map((label) => firstRound('http__ask_together', label, 3)));
    expect(rounds.map((round) => [round.status, round.json?.result?.resultType])).toEqual([[200, 'input_required'], [200, 'input_required'], [200, 'input_required']]);
    expect(rounds.map(questionsIn)).toEqual([['A word for C?'], ['A word for D?'], ['A word for E?']]);
  });

  it('over Streamable HTTP, two 2025 sessions each get their own question too', async () => {
    const session = async (name: string, asked: string[]): Promise<Client> => {
      const client = await connectClient(gh.url, 'together', { key: keyA, capabilities: { capabilities: { elicitation: { form: {} } } } });
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params.message);
        return { action: 'accept', content: { word: `${name} on ${request.params.message}` } };
      });
      clients.push(client);
      return client;
    };
    const [askedC, askedD]: string[][] = [[], []];
    const [c, d] = await Promise.all([session('session-c', askedC), session('session-d', askedD)]);
    const [fromC, fromD] = await Promise.all([
      c.callTool({ name: 'http__ask_together', arguments: { label: 'C', together: 2 } }),
      d.callTool({ name: 'http__ask_together', arguments: { label: 'D', together: 2 } }),
    ]);
    expect([askedC, askedD]).toEqual([['A word for C?'], ['A word for D?']]);
    expect([resultText(fromC), resultText(fromD)]).toEqual(['answer for C: accept {"word":"session-c on A word for C?"}', 'answer for D: accept {"word":"session-d on A word for D?"}']);
  });

  it('the other way round: two 2025 sessions whose calls a 2026 upstream answers input_required at once are each asked their own question', async () => {
    const session = async (answer: boolean, asked: string[]): Promise<Client> => {
      const client = await connectClient(gh.url, 'together', { key: keyB, capabilities: { capabilities: { elicitation: { form: {} } } } });
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params.message);
        return { action: 'accept', content: { confirm: answer } };
      });
      clients.push(client);
      return client;
    };
    const [askedYes, askedNo]: string[][] = [[], []];
    const [yes, no] = await Promise.all([session(true, askedYes), session(false, askedNo)]);
    const [fromYes, fromNo] = await Promise.all([
      yes.callTool({ name: 'modern__confirm', arguments: { question: 'Yes?', together: 2 } }),
      no.callTool({ name: 'modern__confirm', arguments: { question: 'No?', together: 2 } }),
    ]);
    expect([askedYes, askedNo]).toEqual([['Yes?'], ['No?']]);
    expect([resultText(fromYes), resultText(fromNo)]).toEqual(['modern: accept {"confirm":true} state=asked-once', 'modern: accept {"confirm":false} state=asked-once']);
  });

  it('over stdio, where nothing says which call a question is for, refuses the questions instead of giving them to the wrong call', async () => {
    const rounds = await Promise.all([firstRound('pipe__ask_together', 'F', 2, keyA), firstRound('pipe__ask_together', 'G', 2, keyB)]);
    for (const round of rounds) {
      expect(round.status).toBe(200);
      expect(questionsIn(round)).toEqual([]);
      expect(round.json?.error?.message ?? resultText(round.json?.result)).toMatch(/which call/);
    }
    // One call alone on the connection is unambiguous and still asks.
    const alone = await firstRound('pipe__ask_together', 'H', 1);
    expect(questionsIn(alone)).toEqual(['A word for H?']);
  });

  it('over stdio, a 2025 session still thinking about its question does not make another session\'s question ambiguous', async () => {
    const session = async (answer: (message: string) => Promise<string>, asked: string[]): Promise<Client> => {
      const client = await connectClient(gh.url, 'together', { key: keyA, capabilities: { capabilities: { elicitation: { form: {} } } } });
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params.message);
        return { action: 'accept', content: { word: await answer(request.params.message) } };
      });
      clients.push(client);
      return client;
    };
    let release = (): void => undefined;
    const thought = new Promise<void>((resolve) => (release = resolve));
    const [askedSlow, askedQuick]: string[][] = [[], []];
    const slow = await session(async (message) => {
      await thought;
      return `slow on ${message}`;
    }, askedSlow);
    const quick = await session(async (message) => `quick on ${message}`, askedQuick);
    const fromSlow = slow.callTool({ name: 'pipe__ask_together', arguments: { label: 'T', together: 1 } });
    await waitFor(() => askedSlow.length > 0, 10_000, 'the slow session asked');
    const fromQuick = await quick.callTool({ name: 'pipe__ask_together', arguments: { label: 'U', together: 1 } });
    expect(resultText(fromQuick)).toBe('answer for U: accept {"word":"quick on A word for U?"}');
    release();
    expect(resultText(await fromSlow)).toBe('answer for T: accept {"word":"slow on A word for T?"}');
    expect([askedSlow, askedQuick]).toEqual([['A word for T?'], ['A word for U?']]);
  });

  it('over stdio, a call whose client never answered its question does not make the next call\'s question ambiguous, and is cancelled upstream when its hold expires', async () => {
    const HOLD_MS = 15_000;
    await patchSettings(gh, { requestTimeoutMs: HOLD_MS });
    try {
      // A 2026 client is asked for input and never comes back: its upstream call stays on the stdio connection.
      const abandoned = await firstRound('parked__ask_together', 'P', 1);
      expect(questionsIn(abandoned)).toEqual(['A word for P?']);
      const parkedAt = Date.now();
      // The next call of the same key asks too: the question is its own, not refused as ambiguous.
      const asked: string[] = [];
      const client = await answeringClient('client-a', keyA, asked);
      const next = await client.callTool({ name: 'parked__ask_together', arguments: { label: 'Q', together: 1 } });
      expect(asked).toEqual(['A word for Q?']);
      expect(resultText(next)).toBe('answer for Q: accept {"word":"client-a on A word for Q?"}');
      // Two calls asking at once beside the abandoned one are still ambiguous: refused, no question handed out.
      const together = await Promise.all([firstRound('parked__ask_together', 'R', 2), firstRound('parked__ask_together', 'S', 2)]);
      for (const round of together) {
        expect(questionsIn(round)).toEqual([]);
        expect(round.json?.error?.message ?? resultText(round.json?.result)).toMatch(/which call/);
      }
      const cancelled = async (): Promise<string[]> =>
        JSON.parse(resultText(await client.callTool({ name: 'parked__cancelled_calls', arguments: {} }))) as string[];
      // All of that well inside the hold: the abandoned call was still waiting upstream meanwhile.
      expect(Date.now() - parkedAt).toBeLessThan(HOLD_MS);
      expect(await cancelled()).toEqual([]);
      // Its hold expires: the upstream hears notifications/cancelled for it, and for nothing else.
      const seen = await waitFor(async () => {
        const labels = await cancelled();
        return labels.length > 0 ? labels : undefined;
      }, HOLD_MS + 10_000, 'the abandoned call cancelled upstream', 250);
      expect(seen).toEqual(['P']);
      expect(Date.now() - parkedAt).toBeGreaterThanOrEqual(HOLD_MS - 1_000);
      // Its state is no longer good for a retry.
      const key = Object.keys(abandoned.json?.result?.inputRequests ?? {})[0];
      const late = await firstRound('parked__ask_together', 'P', 1, keyA, {
        requestState: abandoned.json?.result?.requestState,
        inputResponses: { [key]: { action: 'accept', content: { word: 'too late' } } },
      });
      expect(late.json?.error?.code).toBe(-32602);
    } finally {
      await patchSettings(gh, { requestTimeoutMs: 60_000 });
    }
  });
});
