import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { TestGatehouse } from './gatehouse';
import { FIXTURES } from './mcp-client';
import { createProfile, registerStdioServer, resultText, waitFor } from './proxy';

const DRIFTING = join(FIXTURES, 'drifting-server.js');

/** The drifting fixture's tools that change its own tool list. */
type ChangingTool = 'drift' | 'sprout';

export type DriftingWatch = Readonly<{
  client: Client;
  /** Changes the fixture's tool list and lists until the gateway records it (tools are recorded as a client lists them). */
  change: (tool: ChangingTool, args?: Record<string, unknown>) => Promise<void>;
  /** The `notes` tool's description becomes `to`. */
  drift: (to: string) => Promise<void>;
}>;

/**
 * The drifting fixture (it changes a tool's description while connected) registered as
 * `drifting`, on a profile `watch` without keys, listed once by `open`'s client and recorded.
 */
export const watchDriftingServer = async (gh: TestGatehouse, open: (slug: string) => Promise<Client>): Promise<DriftingWatch> => {
  const discoveries = async (): Promise<number> => (await gh.api('GET', '/api/events?type=ServerToolsDiscovered&limit=1000')).body.events.length;
  await registerStdioServer(gh, 'drifting', DRIFTING);
  await createProfile(gh, 'watch', ['drifting'], { auth: { apiKey: false } });
  const client = await open('watch');
  await client.listTools();
  await waitFor(async () => (await discoveries()) > 0, 10_000, 'the first discovery');
  const change = async (tool: ChangingTool, args: Record<string, unknown> = {}): Promise<void> => {
    const before = await discoveries();
    expect(resultText(await client.callTool({ name: `drifting__${tool}`, arguments: args }))).toBe(tool === 'drift' ? 'drifted' : 'sprouted');
    await waitFor(async () => (await client.listTools()) && (await discoveries()) > before, 10_000, 'the changed tools to be recorded', 100);
  };
  return { client, change, drift: (to) => change('drift', { to }) };
};
