/**
 * Helpers for end-to-end tests of the MCP proxy: configure servers and profiles through the
 * REST API, talk raw JSON-RPC over HTTP, and wait for notifications and processes without
 * sleeping blindly (every wait is bounded).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LATEST_PROTOCOL_VERSION, McpError, type Notification } from '@modelcontextprotocol/sdk/types.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { infer as zInfer, ZodType } from 'zod';
import { textOf } from '../fixtures/upstream-fixtures';
import type { TestGatehouse } from './gatehouse';

export const PROBE_SERVER = join(__dirname, 'probe-server.js');

const expectStatus = (what: string, response: { status: number; body: unknown }, ...ok: number[]): void => {
  if (!ok.includes(response.status)) throw new Error(`${what}: HTTP ${response.status} ${JSON.stringify(response.body)}`);
};

/** Registers a stdio server that runs `node <script> <args…>`; returns its id. */
export const registerStdioServer = async (gh: TestGatehouse, name: string, script: string, args: string[] = [], extra: object = {}): Promise<string> => {
  const response = await gh.api('POST', '/api/servers', { name, transport: 'stdio', command: process.execPath, args: [script, ...args], ...extra });
  expectStatus(`register ${name}`, response, 201);
  return response.body.id as string;
};

/** Creates a profile and attaches the servers (by id or name) in order. */
export const createProfile = async (gh: TestGatehouse, slug: string, servers: string[], extra: object = {}): Promise<string> => {
  const response = await gh.api('POST', '/api/profiles', { slug, ...extra });
  expectStatus(`create profile ${slug}`, response, 201);
  for (const server of servers) await attach(gh, slug, server);
  return response.body.id as string;
};

export const attach = async (gh: TestGatehouse, slug: string, server: string, status: 'active' | 'inactive' = 'active'): Promise<void> => {
  expectStatus(`attach ${server} to ${slug}`, await gh.api('PUT', `/api/profiles/${slug}/servers/${server}`, { status }), 200, 201);
};

export const issueKey = async (gh: TestGatehouse, profiles: string[], name = `key-${profiles.join('-')}`): Promise<string> => {
  const response = await gh.api('POST', '/api/keys', { name, profiles });
  expectStatus(`issue key for ${profiles.join(',')}`, response, 201);
  return response.body.key as string;
};

export const patchSettings = async (gh: TestGatehouse, changes: object): Promise<void> => {
  expectStatus('patch settings', await gh.api('PATCH', '/api/settings', changes), 200);
};

export type Runtime = { status: string; lastError: { code: string; message: string } | null; stderrTail: string; restarts: number; connections: number; pids: number[]; protocolVersion: string | null };

export const runtimeOf = async (gh: TestGatehouse, server: string): Promise<Runtime> => {
  const response = await gh.api('GET', `/api/servers/${server}`);
  expectStatus(`GET server ${server}`, response, 200);
  return response.body.runtime as Runtime;
};

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export const waitFor = async <T>(probe: () => T | Promise<T>, timeoutMs: number, what: string, intervalMs = 50): Promise<Exclude<T, undefined | false>> => {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last !== undefined && last !== false) return last as Exclude<T, undefined | false>;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
};

type NotificationSchema = ZodType<Notification>;

/**
 * Records every notification of one kind that a client receives, so a test can await one
 * (bounded) or assert that none came. Installing it replaces the client's handler.
 */
export class NotificationLog<S extends NotificationSchema, N extends Notification = zInfer<S>> {
  readonly received: N[] = [];
  private waiters: { matches: (n: N) => boolean; resolve: (n: N) => void }[] = [];

  constructor(client: Client, schema: S) {
    client.setNotificationHandler(schema as never, (notification: N) => {
      this.received.push(notification);
      const ready = this.waiters.filter((waiter) => waiter.matches(notification));
      this.waiters = this.waiters.filter((waiter) => !ready.includes(waiter));
      for (const waiter of ready) waiter.resolve(notification);
    });
  }

  /** A position in what was received, for `next` to look only at what comes after it. */
  mark(): number {
    return this.received.length;
  }

  /** The first matching notification received after `since` (default: any so far), waiting up to `timeoutMs`. */
  next(timeoutMs: number, matches: (n: N) => boolean = () => true, since = 0): Promise<N> {
    const already = this.received.slice(since).find(matches);
    if (already) return Promise.resolve(already);
    return new Promise<N>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== entry);
        reject(new Error(`no matching notification within ${timeoutMs} ms (received: ${JSON.stringify(this.received)})`));
      }, timeoutMs);
      const entry = { matches, resolve: (n: N) => (clearTimeout(timer), resolve(n)) };
      this.waiters.push(entry);
    });
  }
}

export type RawResponse = { status: number; headers: Headers; text: string; json: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON-RPC bodies are asserted field by field

/** Parses a JSON body, or the first `data:` line of an SSE body (Streamable HTTP answers either way). */
const parseBody = (text: string, contentType: string | null): unknown => {
  try {
    if (contentType?.includes('text/event-stream')) {
      const data = text.split('\n').find((line) => line.startsWith('data:'));
      return data === undefined ? null : JSON.parse(data.slice(5));
    }
    return text === '' ? null : JSON.parse(text);
  } catch {
    return null;
  }
};

/** One raw HTTP request to an MCP endpoint with the headers Streamable HTTP expects. */
export const rawMcp = async (
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; raw?: string | Buffer } = {},
): Promise<RawResponse> => {
  const method = init.method ?? 'POST';
  const response = await fetch(url, {
    method,
    headers: {
      accept: 'application/json, text/event-stream',
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    signal: AbortSignal.timeout(10_000),
  });
  const text = method === 'GET' && response.headers.get('content-type')?.includes('text/event-stream') ? '' : await response.text();
  if (text === '' && response.body) await response.body.cancel().catch(() => undefined);
  return { status: response.status, headers: response.headers, text, json: parseBody(text, response.headers.get('content-type')) };
};

export const initializeRequest = (id: number | string = 1, capabilities: object = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities, clientInfo: { name: 'raw-test', version: '1.0.0' } },
});

/** Opens a session with raw requests (initialize + initialized), declaring `capabilities`; returns its id. */
export const rawSession = async (url: string, headers: Record<string, string> = {}, capabilities: object = {}): Promise<string> => {
  const init = await rawMcp(url, { body: initializeRequest(1, capabilities), headers });
  const sessionId = init.headers.get('mcp-session-id');
  if (init.status !== 200 || !sessionId) throw new Error(`initialize: HTTP ${init.status} ${init.text}`);
  const protocol = { 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION, ...headers };
  const initialized = await rawMcp(url, { body: { jsonrpc: '2.0', method: 'notifications/initialized' }, headers: protocol });
  if (initialized.status !== 202) throw new Error(`initialized: HTTP ${initialized.status} ${initialized.text}`);
  return sessionId;
};

export const sessionHeaders = (sessionId: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'mcp-session-id': sessionId,
  'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
  ...extra,
});

export { isPidRunning } from '../fixtures/upstream-fixtures';

/** The text of a tool result (callTool's result type is a union the fixtures helper does not take). */
export const resultText = (result: unknown): string => textOf(result as { content?: unknown });

/** The JSON-RPC error a call fails with (a result with isError would not be a protocol error). */
export const rpcErrorOf = async (call: Promise<unknown>): Promise<McpError> => {
  try {
    await call;
  } catch (error) {
    if (error instanceof McpError) return error;
    throw error;
  }
  throw new Error('expected a JSON-RPC error, got a result');
};

/** Direct children of `pid` that are still running (Linux /proc). */
export const childPids = (pid: number = process.pid): number[] => {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid && fields[0] !== 'Z') children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
};

/** The command line of a process, or '' when it is gone. */
export const commandLine = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
};
