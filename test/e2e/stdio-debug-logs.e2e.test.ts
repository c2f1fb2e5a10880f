import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { existsSync } from 'node:fs';
import { GATEHOUSE_BIN } from '../support/child-gatehouse';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { createProfile, PROBE_SERVER, registerStdioServer, waitFor } from '../support/proxy';
import { TEST_SECRET_KEY } from '../support/temp-dir';

/** `gatehouse stdio` records traffic like `serve` does when the profile has debug logging on. */
describe('debug logs of a gatehouse stdio session', () => {
  let gh: TestGatehouse;
  let client: Client | undefined;

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'probe', PROBE_SERVER);
    await createProfile(gh, 'stdlog', ['probe'], { debugLogging: true, toolPrefix: 'never' });
  });
  afterAll(async () => {
    await client?.close();
    await gh.stop();
  });

  it('writes a row per request into the same database the API reads', async () => {
    if (!existsSync(GATEHOUSE_BIN)) throw new Error('dist is missing: run `npm run build` before the e2e tests');
    client = new Client({ name: 'stdio-logger', version: '1.0.0' }, { capabilities: {} });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [GATEHOUSE_BIN, 'stdio', '--profile', 'stdlog'],
        env: { GATEHOUSE_DATA_DIR: gh.dataDir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY },
        stderr: 'pipe',
      }),
    );
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    const rows = await waitFor(
      async () => {
        const page = await gh.api('GET', '/api/logs?profile=stdlog&method=tools/list');
        return page.status === 200 && page.body.logs?.length > 0 ? page.body.logs : undefined;
      },
      10_000,
      'a debug-log row from the stdio process',
      200,
    );
    expect(rows[0]).toMatchObject({ method: 'tools/list', status: 'ok', clientName: 'stdio-logger' });
  });
});
