import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient, EVERYTHING_SERVER } from '../support/mcp-client';

describe('MCP proxy over a real stdio upstream (server-everything)', () => {
  let gh: TestGatehouse;
  let key: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await gh.api('POST', '/api/servers', { name: 'everything', transport: 'stdio', command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] });
    await gh.api('POST', '/api/profiles', { slug: 'dev' });
    await gh.api('PUT', '/api/profiles/dev/servers/everything', { status: 'active' });
    key = (await gh.api('POST', '/api/keys', { name: 'test', profiles: ['dev'] })).body.key;
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gh.stop();
  });

  it('lists prefixed tools and calls one through the gateway', async () => {
    const client = await connectClient(gh.url, 'dev', { key });
    clients.push(client);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('everything__echo');
    const result = await client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } });
    expect(JSON.stringify(result.content)).toContain('hi');
  });

  it('works over legacy SSE too', async () => {
    const client = await connectClient(gh.url, 'dev', { key, transport: 'sse' });
    clients.push(client);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('everything__echo');
  });

  it('refuses a missing key with 401', async () => {
    await expect(connectClient(gh.url, 'dev')).rejects.toThrow();
  });
});
