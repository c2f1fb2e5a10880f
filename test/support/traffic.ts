import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { join } from 'node:path';
import type { TestGatehouse } from './gatehouse';
import { FIXTURES } from './mcp-client';

export const CONFORMANCE = join(FIXTURES, 'conformance-server.js');
export const HUNG = join(FIXTURES, 'hung-server.js');

/** A configured env value of the conformance server: it must never be stored or logged in plaintext. */
export const ENV_SECRET = 'sk-live-Traffic0123456789abcdef';

/** Calls that end in each status: ok, a failed tool, an unknown tool, an upstream timeout. */
export type Traffic = Readonly<{ ok: string; failed: string; timeout: string }>;

/**
 * Registers the conformance fixture (with an env secret) and a server whose tools/call never
 * answers (300 ms timeout), and profiles `on` (debug logging) and `off` with both attached.
 * Returns an API key for both profiles.
 */
export const setUpTrafficProfiles = async (gh: Pick<TestGatehouse, 'api'>): Promise<string> => {
  const ok = (response: { status: number; body: unknown }): void => {
    if (response.status >= 300) throw new Error(`setup failed: ${response.status} ${JSON.stringify(response.body)}`);
  };
  ok(await gh.api('POST', '/api/servers', { name: 'conformance', transport: 'stdio', command: process.execPath, args: [CONFORMANCE], env: { API_TOKEN: ENV_SECRET } }));
  ok(await gh.api('POST', '/api/servers', { name: 'hung', transport: 'stdio', command: process.execPath, args: [HUNG, '--hang-on', 'tools/call'], timeoutMs: 300 }));
  ok(await gh.api('POST', '/api/profiles', { slug: 'on', debugLogging: true }));
  ok(await gh.api('POST', '/api/profiles', { slug: 'off' }));
  for (const profile of ['on', 'off']) {
    for (const server of ['conformance', 'hung']) ok(await gh.api('PUT', `/api/profiles/${profile}/servers/${server}`, { status: 'active' }));
  }
  const key = await gh.api('POST', '/api/keys', { name: 'traffic', profiles: ['on', 'off'] });
  ok(key);
  return key.body.key as string;
};

/** The error a call rejects with, as { code } (the SDK client throws McpError). */
export const rejection = async (promise: Promise<unknown>): Promise<{ code?: number; message?: string }> => {
  try {
    await promise;
  } catch (error) {
    return error as { code?: number; message?: string };
  }
  throw new Error('expected the call to fail');
};

/** One call of each outcome on `client`; what the gateway answered is checked by the caller. */
export const makeTraffic = async (client: Client) => {
  const ok = await client.callTool({ name: 'conformance__test_simple_text', arguments: {} });
  const failedTool = await client.callTool({ name: 'conformance__test_error_handling', arguments: {} });
  const unknown = await rejection(client.callTool({ name: 'conformance__does_not_exist', arguments: {} }));
  const timeout = await rejection(client.callTool({ name: 'hung__noop', arguments: {} }));
  return { ok, failedTool, unknown, timeout };
};
