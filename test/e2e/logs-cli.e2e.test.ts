import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { GATEHOUSE_BIN } from '../support/child-gatehouse';
import { connectClient } from '../support/mcp-client';
import { TEST_SECRET_KEY } from '../support/temp-dir';
import { ENV_SECRET, makeTraffic, setUpTrafficProfiles } from '../support/traffic';

type Run = { code: number; stdout: string; stderr: string };

describe('gatehouse logs show|tail next to a running server', () => {
  let gh: TestGatehouse;
  let client: Client;
  let env: NodeJS.ProcessEnv;

  const cli = (...args: string[]): Promise<Run> =>
    new Promise((done) => {
      execFile(process.execPath, [GATEHOUSE_BIN, 'logs', ...args], { env, timeout: 20_000 }, (error, stdout, stderr) => {
        done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
      });
    });

  beforeAll(async () => {
    if (!existsSync(join(__dirname, '../../dist/src/api/cli/logs.command.js'))) throw new Error('dist/ is missing: run `npm run build` before this test');
    gh = await startTestGatehouse();
    env = { ...process.env, GATEHOUSE_DATA_DIR: gh.dataDir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY };
    delete env.GATEHOUSE_DATABASE;
    const key = await setUpTrafficProfiles(gh);
    client = await connectClient(gh.url, 'on', { key });
    await makeTraffic(client);
    await client.callTool({ name: 'conformance__json_schema_2020_12_tool', arguments: { name: ENV_SECRET } });
    await gh.observability.flush();
  });
  afterAll(async () => {
    await client?.close();
    await gh?.stop();
  });

  it('shows the newest entries, filtered, and one entry with its redacted payloads', async () => {
    const calls = await cli('show', '--profile', 'on', '--method', 'tools/call', '--json');
    expect(calls).toMatchObject({ code: 0, stderr: '' });
    const rows = calls.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: number; target: string; status: string });
    expect(rows.map((row) => [row.target, row.status])).toEqual([
      ['conformance__test_simple_text', 'ok'], ['conformance__test_error_handling', 'error'], ['conformance__does_not_exist', 'error'],
      ['hung__noop', 'timeout'], ['conformance__json_schema_2020_12_tool', 'ok'],
    ]);
    const text = await cli('show', '--status', 'timeout');
    expect(text.stdout).toMatch(/#\d+ TIMEOUT +on\/hung tools\/call hung__noop [\d.]+ms -32001/);
    const one = await cli('show', String(rows[4].id));
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ params: { arguments: { name: '[REDACTED]' } } });
    expect(one.stdout).not.toContain(ENV_SECRET);
  });

  it('refuses bad input with usage and exit code 2', async () => {
    for (const args of [['show', '--status', 'bogus'], ['show', '--limit', '0'], ['show', 'abc'], ['peek'], ['tail', '7']]) {
      const run = await cli(...args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toContain('Usage: gatehouse logs');
    }
    expect(await cli('show', '999999')).toMatchObject({ code: 1, stderr: expect.stringContaining('no log 999999') });
  });

  it('tails new entries as the server writes them, until interrupted', async () => {
    const child = spawn(process.execPath, [GATEHOUSE_BIN, 'logs', 'tail', '--lines', '0', '--interval', '100', '--profile', 'on', '--method', 'tools/call', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stdout = '';
    let stderr = '';
    let changed = (): void => undefined;
    child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), changed()));
    child.stderr.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), changed()));
    const seen = (what: () => string, needle: string, timeoutMs: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`"${needle}" not seen within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`)), timeoutMs);
        changed = (): void => {
          if (!what().includes(needle)) return;
          clearTimeout(timer);
          resolve();
        };
        changed();
      });
    try {
      await seen(() => stderr, 'following new entries', 10_000);
      await client.callTool({ name: 'conformance__test_image_content', arguments: {} });
      await seen(() => stdout, 'conformance__test_image_content', 10_000);
      expect(stdout.trim().split('\n')).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
