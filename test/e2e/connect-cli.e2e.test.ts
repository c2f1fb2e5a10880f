import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawnGatehouse, type ChildGatehouse } from '../support/child-gatehouse';
import { runCli } from '../support/cli';
import { PROBE_SERVER } from '../support/proxy';
import { makeTempDir } from '../support/temp-dir';

type StdioEntry = { command: string; args: string[]; env: Record<string, string> };

describe('gatehouse connect: configurations that real clients use as printed (compiled CLI)', () => {
  const dir = makeTempDir('gatehouse-connect-');
  let gatehouse: ChildGatehouse;
  let env: Record<string, string>;
  const clients: Client[] = [];

  beforeAll(async () => {
    const document = { mcpServers: { probe: { command: process.execPath, args: [PROBE_SERVER, '--label', 'connected'] } }, gatehouse: { profiles: { dev: { servers: [{ name: 'probe' }] } } } };
    writeFileSync(join(dir.path, 'servers.json'), JSON.stringify(document));
    const base = { GATEHOUSE_DATA_DIR: join(dir.path, 'data') };
    expect(await runCli(base, 'import', join(dir.path, 'servers.json'))).toMatchObject({ code: 0 });
    gatehouse = await spawnGatehouse(base);
    // The printed URL is the configured one: the CLI is told the server's port.
    env = { ...base, GATEHOUSE_PORT: new URL(gatehouse.url).port };
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gatehouse?.kill('SIGTERM');
    dir.cleanup();
  });

  const connect = async (...args: string[]) => {
    const run = await runCli(env, 'connect', '--profile', 'dev', ...args);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    return run;
  };
  const toolsOf = async (client: Client): Promise<string[]> => {
    clients.push(client);
    return (await client.listTools()).tools.map((tool) => tool.name);
  };

  it('claude-desktop (stdio): the entry starts `gatehouse stdio` with nothing but what it prints', async () => {
    const { stdout } = await connect('--client', 'claude-desktop');
    const entry = (JSON.parse(stdout) as { mcpServers: Record<string, StdioEntry> }).mcpServers['gatehouse-dev'];
    expect(entry.env).toEqual({ GATEHOUSE_DATA_DIR: join(dir.path, 'data') });
    // What a client passes: its own minimal environment (the SDK's default) plus the entry's env, from another directory.
    const client = new Client({ name: 'claude-desktop-like', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: entry.command, args: entry.args, env: entry.env, cwd: '/' }));
    expect(await toolsOf(client)).toContain('probe__whoami');
  });

  it('vscode (http) with --new-key: the printed URL and header open the profile', async () => {
    const { stdout } = await connect('--client', 'vscode', '--new-key');
    const entry = (JSON.parse(stdout) as { servers: Record<string, { type: string; url: string; headers: Record<string, string> }> }).servers['gatehouse-dev'];
    expect(entry).toMatchObject({ type: 'http', url: `${gatehouse.url}/mcp/dev`, headers: { Authorization: expect.stringMatching(/^Bearer gh_/) } });
    const client = new Client({ name: 'vscode-like', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(entry.url), { requestInit: { headers: entry.headers } }));
    expect(await toolsOf(client)).toContain('probe__whoami');
    expect((await runCli(env, 'keys', 'list')).stdout).toContain('vscode (gatehouse connect)');
  });

  it('inspector with --new-key: the printed command line lists the tools', async () => {
    const { stdout } = await connect('--client', 'inspector', '--new-key');
    const shell = spawn('bash', ['-c', stdout], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let output = '';
    let errors = '';
    shell.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    shell.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    expect({ code: await new Promise((resolve) => shell.on('close', resolve)), errors }).toEqual({ code: 0, errors: '' });
    expect((JSON.parse(output) as { tools: { name: string }[] }).tools.map((tool) => tool.name)).toContain('probe__whoami');
  });

  it('without a key, prints a placeholder and says how to get one; refuses what it cannot do', async () => {
    const run = await connect('--client', 'cursor');
    expect(JSON.parse(run.stdout)).toEqual({ mcpServers: { 'gatehouse-dev': { url: `${gatehouse.url}/mcp/dev`, headers: { Authorization: 'Bearer <API key: run again with --new-key>' } } } });
    expect(run.stderr).toContain('run again with --new-key');
    expect(await runCli(env, 'connect', '--profile', 'nope', '--client', 'cursor')).toMatchObject({ code: 1, stderr: expect.stringContaining('no profile "nope"') });
    expect(await runCli(env, 'connect', '--profile', 'dev', '--client', 'emacs')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown client "emacs"') });
    expect(await runCli(env, 'connect', '--profile', 'dev', '--client', 'cursor', '--transport', 'stdio', '--new-key')).toMatchObject({ code: 2, stderr: expect.stringContaining('stdio needs no key') });
  });
});
