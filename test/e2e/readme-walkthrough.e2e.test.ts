import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVERYTHING_ENTRY } from '../fixtures/upstream-fixtures';
import { spawnGatehouse, type ChildGatehouse } from '../support/child-gatehouse';
import { makeTempDir } from '../support/temp-dir';

const README = join(__dirname, '../../README.md');
const SECRET = 'sk-live-0123456789abcdef';
const NPX_COMMAND = '"command": "npx", "args": ["-y", "@modelcontextprotocol/server-everything"]';

/** The README's walk-through: the first `sh` block after its heading. */
const walkThrough = (): string => {
  const readme = readFileSync(README, 'utf8');
  const section = readme.slice(readme.indexOf('### Walk-through with curl'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README: no sh block after "### Walk-through with curl"');
  return block[1];
};

describe('the README walk-through, run as written against a fresh data directory (compiled server)', () => {
  const home = makeTempDir('gatehouse-readme-');
  let gatehouse: ChildGatehouse;
  let port: number;

  beforeAll(async () => {
    // No GATEHOUSE_DATA_DIR: the walk-through reads ~/.gatehouse/admin.token, so HOME is a fresh directory.
    gatehouse = await spawnGatehouse({ HOME: home.path });
    port = Number(new URL(gatehouse.url).port);
  });
  afterAll(async () => {
    await gatehouse?.kill('SIGTERM');
    home.cleanup();
  });

  const api = async (path: string): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any -- asserted field by field
    const token = readFileSync(join(home.path, '.gatehouse', 'admin.token'), 'utf8').trim();
    const response = await fetch(`${gatehouse.url}/api${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return response.json();
  };

  it('runs to a first tool call, prints no secret, and leaves get-env hidden and echo as it was', async () => {
    const script = walkThrough();
    // Only the port and how the upstream starts differ from what a reader runs (tests start servers with node, not npx).
    expect(script).toContain(NPX_COMMAND);
    expect(script).toContain('127.0.0.1:7300');
    const runnable = script.replaceAll('127.0.0.1:7300', `127.0.0.1:${port}`).replace(NPX_COMMAND, `"command": ${JSON.stringify(process.execPath)}, "args": [${JSON.stringify(EVERYTHING_ENTRY)}]`);
    // stdin from /dev/null: on a socket (Node's default pipes) bash takes itself for a remote shell and reads /etc/bash.bashrc.
    const shell = spawn('bash', ['-euo', 'pipefail', '-c', runnable], { env: { PATH: process.env.PATH ?? '', HOME: home.path }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    shell.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    shell.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => shell.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).not.toContain(SECRET);
    expect(stdout).toContain('••••cdef');
    // The last answer is the tool call's, through the gateway.
    expect(stdout).toContain('hello through the gateway');
    expect(stdout.trimEnd().endsWith('}')).toBe(true);

    const { tools } = await api('/profiles/dev/tools');
    const byName = new Map<string, { status: string; overrides: { name: string | null } }>(tools.map((tool: { originalName: string }) => [tool.originalName, tool]));
    expect(byName.get('get-env')).toMatchObject({ status: 'inactive' });
    expect(byName.get('echo')).toMatchObject({ status: 'active', overrides: { name: null } });
    const history = await api('/profiles/dev/history');
    expect(history.events.map((event: { type: string }) => event.type)).toEqual(['ProfileCreated', 'ServerAttached', 'ToolStatusChanged', 'ToolOverridden', 'ToolOverrideCleared']);
  });
});
