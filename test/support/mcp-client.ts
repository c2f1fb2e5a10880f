import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { join } from 'node:path';

export const EVERYTHING_SERVER = join(__dirname, '../../node_modules/@modelcontextprotocol/server-everything/dist/index.js');
export const FIXTURES = join(__dirname, '../fixtures/servers');

/** A real SDK client connected to a profile endpoint over Streamable HTTP or legacy SSE. */
export const connectClient = async (
  baseUrl: string,
  slug: string,
  options: { key?: string; transport?: 'streamable' | 'sse'; capabilities?: ConstructorParameters<typeof Client>[1] } = {},
): Promise<Client> => {
  const headers: Record<string, string> = options.key ? { authorization: `Bearer ${options.key}` } : {};
  const client = new Client({ name: 'gatehouse-test', version: '1.0.0' }, options.capabilities ?? { capabilities: {} });
  const transport =
    options.transport === 'sse'
      ? new SSEClientTransport(new URL(`${baseUrl}/mcp/${slug}/sse`), {
          requestInit: { headers },
          eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
        })
      : new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp/${slug}`), { requestInit: { headers } });
  await client.connect(transport);
  return client;
};

/**
 * The clients a test suite opens on a gateway's profiles, closed together in `afterAll`.
 * `baseUrl` is asked at each open: the gateway starts after the suite's functions are made.
 */
export const clientPool = (baseUrl: () => string) => {
  const clients: Client[] = [];
  return {
    open: async (slug: string): Promise<Client> => {
      const client = await connectClient(baseUrl(), slug);
      clients.push(client);
      return client;
    },
    closeAll: async (): Promise<void> => {
      await Promise.allSettled(clients.map((client) => client.close()));
    },
  };
};
