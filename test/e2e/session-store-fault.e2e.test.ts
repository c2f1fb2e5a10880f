import Database from 'better-sqlite3';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { createProfile, PROBE_SERVER, registerStdioServer, resultText } from '../support/proxy';

/**
 * A session's record is written at initialize so that it survives a restart; when that write
 * fails, the client still gets its session (it only loses the survival), never a 5xx.
 */
describe('a session store that cannot be written', () => {
  let gh: TestGatehouse;
  const logs: string[] = [];

  beforeAll(async () => {
    gh = await startTestGatehouse({}, { write: (line) => void logs.push(line) });
    await registerStdioServer(gh, 'probe', PROBE_SERVER, ['--label', 'fault']);
    await createProfile(gh, 'fault', ['probe'], { auth: { apiKey: false } });
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('opens the session anyway and serves calls on it', async () => {
    // The table goes away behind the gateway's back, as a broken or foreign schema would.
    const db = new Database(`${gh.dataDir}/gatehouse.db`);
    db.exec('ALTER TABLE mcp_sessions RENAME TO mcp_sessions_elsewhere');
    db.close();

    const client: Client = await connectClient(gh.url, 'fault');
    try {
      const result = await client.callTool({ name: 'probe__whoami', arguments: {} });
      expect(JSON.parse(resultText(result))).toMatchObject({ label: 'fault' });
    } finally {
      await client.close();
    }
    expect(logs.some((line) => line.includes('session not stored'))).toBe(true);
  });
});
