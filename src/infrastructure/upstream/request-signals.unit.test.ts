import { getEventListeners } from 'node:events';
import { perRequestSignals } from './request-signals';

describe('perRequestSignals', () => {
  const recording = () => {
    const seen: (AbortSignal | null | undefined)[] = [];
    const base = (async (_input: unknown, init?: RequestInit) => {
      seen.push(init?.signal);
      return new Response('ok');
    }) as typeof fetch;
    return { seen, base };
  };

  it('gives each request its own signal and puts one listener on the shared one, however many requests', async () => {
    const { seen, base } = recording();
    const fetchWith = perRequestSignals(base);
    const shared = new AbortController();
    for (let i = 0; i < 50; i += 1) await fetchWith('http://127.0.0.1:1/mcp', { signal: shared.signal });
    expect(new Set(seen).size).toBe(50);
    expect(seen).not.toContain(shared.signal);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
  });

  it('aborts the requests still running when the shared signal aborts', async () => {
    let captured: AbortSignal | undefined;
    const base = ((_input: unknown, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        captured = init?.signal ?? undefined;
        captured?.addEventListener('abort', () => reject(captured?.reason));
      })) as typeof fetch;
    const shared = new AbortController();
    const pending = perRequestSignals(base)('http://127.0.0.1:1/mcp', { signal: shared.signal });
    shared.abort(new Error('transport closed'));
    await expect(pending).rejects.toThrow('transport closed');
    expect(captured?.aborted).toBe(true);
  });

  it('aborts a response body still being read when the shared signal aborts', async () => {
    let captured: AbortSignal | undefined;
    const base = (async (_input: unknown, init?: RequestInit) => {
      captured = init?.signal ?? undefined;
      return new Response(new ReadableStream({ start: () => undefined }));
    }) as typeof fetch;
    const shared = new AbortController();
    const response = await perRequestSignals(base)('http://127.0.0.1:1/mcp', { signal: shared.signal });
    expect(response.body).not.toBeNull();
    shared.abort();
    expect(captured?.aborted).toBe(true);
  });

  it('passes a request without a signal, or with an aborted one, through unchanged', async () => {
    const { seen, base } = recording();
    const fetchWith = perRequestSignals(base);
    await fetchWith('http://127.0.0.1:1/mcp');
    const aborted = AbortSignal.abort();
    await fetchWith('http://127.0.0.1:1/mcp', { signal: aborted });
    expect(seen).toEqual([undefined, aborted]);
  });
});
