import { connect } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startGatehouse, type RunningGatehouse } from '../../src/api/gatehouse';
import { ConfigError, loadConfig } from '../../src/infrastructure/config/config';
import { TEST_ADMIN_TOKEN } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';
import { ENV_SECRET, makeTraffic, setUpTrafficProfiles } from '../support/traffic';

type Line = Record<string, unknown>;

/** A pino destination that keeps every line in memory. */
const capture = () => {
  const lines: string[] = [];
  return { lines, parsed: (): Line[] => lines.map((line) => JSON.parse(line) as Line), destination: { write: (line: string) => void lines.push(line.trimEnd()) } };
};

const start = (dir: string, level: string, destination: { write: (line: string) => void }): Promise<RunningGatehouse> =>
  startGatehouse({
    config: loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_PORT: '0', GATEHOUSE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_LOG_LEVEL: level }),
    logDestination: destination,
  });

describe('structured logs', () => {
  const dir = makeTempDir();
  const log = capture();
  let gh: RunningGatehouse;
  let client: Client | undefined;

  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gh.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    gh = await start(dir.path, 'debug', log.destination);
  });
  afterAll(async () => {
    await client?.close();
    await gh.close();
    dir.cleanup();
  });

  it('writes one JSON line per request with its correlation id, and never a secret', async () => {
    const json = async (method: string, path: string, body?: unknown) => {
      const response = await api(method, path, body);
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text === '' ? null : JSON.parse(text) };
    };
    const key = await setUpTrafficProfiles({ api: json });
    const response = await api('GET', `/api/servers/${ENV_SECRET}`, undefined, { 'x-correlation-id': 'corr-test-42' });
    expect(response.status).toBe(404);
    await api('GET', `/api/logs?q=${TEST_ADMIN_TOKEN}`);
    client = await connectClient(gh.url, 'on', { key });
    await makeTraffic(client);
    await client.callTool({ name: 'conformance__json_schema_2020_12_tool', arguments: { name: ENV_SECRET } });
    await gh.observability.flush();

    const lines = log.parsed();
    const request = lines.find((line) => line.correlationId === 'corr-test-42');
    expect(request).toMatchObject({ level: 'info', msg: 'request', method: 'GET', status: 404, path: '/api/servers/[REDACTED]', name: 'gatehouse' });
    expect(typeof request?.time).toBe('string');
    expect(lines.some((line) => line.level === 'debug' && String(line.path).startsWith('/mcp/on'))).toBe(true);
    const everything = log.lines.join('\n');
    for (const secret of [ENV_SECRET, TEST_ADMIN_TOKEN, key]) expect(everything).not.toContain(secret);
  });

  it('logs a client that hangs up mid-request at debug, not as an error', async () => {
    const hangUp = (head: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const socket = connect(gh.port, '127.0.0.1', () => {
          socket.write(head);
          setTimeout(() => socket.resetAndDestroy(), 100); // a TCP reset: the server reads ECONNRESET
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
    const before = log.lines.length;
    await hangUp(`POST /api/profiles HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"slug":`);
    await hangUp('POST /mcp/on HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lines = log.parsed().slice(before);
    expect(lines.filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'debug', msg: 'client went away mid-request', path: '/api/profiles' }));
  });

  it('follows GATEHOUSE_LOG_LEVEL and refuses an unknown level', async () => {
    const quiet = capture();
    const other = makeTempDir();
    try {
      const warnOnly = await start(other.path, 'warn', quiet.destination);
      await fetch(`${warnOnly.url}/healthz`);
      await fetch(`${warnOnly.url}/api/servers`);
      await warnOnly.close();
      expect(quiet.parsed().filter((line) => line.level === 'info' || line.level === 'debug')).toEqual([]);
      await expect(start(other.path, 'chatty', quiet.destination)).rejects.toThrow(ConfigError);
    } finally {
      other.cleanup();
    }
  });
});
