/**
 * Raw MCP over HTTP for the authorization tests: credentials in any of the accepted places,
 * and long-lived streams (legacy SSE, the Streamable HTTP GET stream) whose end can be awaited,
 * so a test can see the server close a session.
 */
import { initializeRequest, sessionHeaders } from './proxy';

/** Where a client puts its API key. */
export type Credential = Readonly<{ bearer?: string; xApiKey?: string; query?: string; /** A raw Authorization header. */ authorization?: string }>;

export const NO_CREDENTIAL: Credential = {};

export const withCredential = (url: string, credential: Credential): { url: string; headers: Record<string, string> } => {
  const target = new URL(url);
  if (credential.query !== undefined) target.searchParams.set('api_key', credential.query);
  const headers: Record<string, string> = {};
  if (credential.authorization !== undefined) headers.authorization = credential.authorization;
  if (credential.bearer !== undefined) headers.authorization = `Bearer ${credential.bearer}`;
  if (credential.xApiKey !== undefined) headers['x-api-key'] = credential.xApiKey;
  return { url: target.toString(), headers };
};

const ACCEPT = 'application/json, text/event-stream';

/** One JSON-RPC POST; resolves with the status (the body is drained). */
export const postStatus = async (url: string, credential: Credential, body: unknown, headers: Record<string, string> = {}): Promise<number> => {
  const target = withCredential(url, credential);
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { accept: ACCEPT, 'content-type': 'application/json', ...target.headers, ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  await response.text();
  return response.status;
};

export const requestStatus = async (method: 'GET' | 'DELETE', url: string, credential: Credential, headers: Record<string, string> = {}): Promise<number> => {
  const target = withCredential(url, credential);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10_000);
  try {
    const response = await fetch(target.url, { method, headers: { accept: ACCEPT, ...target.headers, ...headers }, signal: controller.signal });
    if (response.headers.get('content-type')?.includes('text/event-stream')) controller.abort();
    else await response.text();
    return response.status;
  } finally {
    clearTimeout(timer);
  }
};

/** A streamable session (initialize + initialized) opened with `credential`; returns its id. */
export const openStreamableSession = async (url: string, credential: Credential): Promise<string> => {
  const target = withCredential(url, credential);
  const init = await fetch(target.url, {
    method: 'POST',
    headers: { accept: ACCEPT, 'content-type': 'application/json', ...target.headers },
    body: JSON.stringify(initializeRequest()),
    signal: AbortSignal.timeout(10_000),
  });
  await init.text();
  const sessionId = init.headers.get('mcp-session-id');
  if (init.status !== 200 || sessionId === null) throw new Error(`initialize answered ${init.status}`);
  const status = await postStatus(url, credential, { jsonrpc: '2.0', method: 'notifications/initialized' }, sessionHeaders(sessionId));
  if (status !== 202) throw new Error(`notifications/initialized answered ${status}`);
  return sessionId;
};

export { sessionHeaders } from './proxy';

export type OpenStream = {
  status: number;
  /** The legacy SSE `endpoint` event (where to POST), when there is one. */
  endpoint?: string;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close: () => void;
};

/**
 * A GET that stays open: the legacy `/sse` endpoint (waits for its `endpoint` event) or the
 * Streamable HTTP stream of a session. A refused request resolves with its status and no stream.
 */
export const openStream = async (url: string, credential: Credential, headers: Record<string, string> = {}, expectEndpoint = false): Promise<OpenStream> => {
  const target = withCredential(url, credential);
  const controller = new AbortController();
  const response = await fetch(target.url, { headers: { accept: 'text/event-stream', ...target.headers, ...headers }, signal: controller.signal });
  if (response.status !== 200 || response.body === null) {
    await response.text().catch(() => undefined);
    return { status: response.status, ended: Promise.resolve(), close: () => undefined };
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let endpoint: string | undefined;
  let resolveEndpoint: (() => void) | undefined;
  const endpointSeen = new Promise<void>((resolve) => (resolveEndpoint = resolve));
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        const match = /event: endpoint\ndata: (.*)\n/.exec(buffer);
        if (match && endpoint === undefined) {
          endpoint = new URL(match[1], target.url).toString();
          resolveEndpoint?.();
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  if (expectEndpoint) {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no endpoint event within 5 s')), 5_000).unref());
    await Promise.race([endpointSeen, ended.then(() => Promise.reject(new Error('stream ended before its endpoint event'))), timeout]);
  }
  return { status: response.status, endpoint, ended, close: () => controller.abort() };
};

/** Resolves with how long (ms) it took for `probe` to hold, polling every 10 ms; rejects after `timeoutMs`. */
export const timeUntil = async (probe: () => boolean, timeoutMs: number, what: string): Promise<number> => {
  const started = Date.now();
  while (!probe()) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
};
