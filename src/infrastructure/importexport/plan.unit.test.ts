import { ImportRefusedError } from './document';
import { parseImportDocument } from './parse';
import { type CurrentState, planImport } from './plan';

const current: CurrentState = {
  servers: new Map([['files', { id: 'srv-files', envKeys: new Set(['API_KEY']), headerKeys: new Set<string>(), hasBearerToken: false }]]),
  profiles: new Map([['dev', 'prf-dev']]),
};

const ids = () => {
  let n = 0;
  return () => `new-${(n += 1)}`;
};

const plan = (document: unknown, attachTo?: string) => planImport(parseImportDocument(document), current, { attachTo, newId: ids() });

const refusedFields = (document: unknown): string[] => {
  try {
    plan(document);
  } catch (error) {
    if (error instanceof ImportRefusedError) return error.errors.map((entry) => entry.field);
    throw error;
  }
  throw new Error('the plan was accepted');
};

describe('planning an import', () => {
  it('reconfigures servers that exist by name and registers the others', () => {
    const result = plan({ mcpServers: { files: { command: 'node' }, web: { url: 'https://x.example/mcp' } } });
    expect(result.servers.map(({ serverId, exists }) => ({ serverId, exists }))).toEqual([
      { serverId: 'srv-files', exists: true },
      { serverId: 'new-1', exists: false },
    ]);
    expect(result.profiles).toEqual([]);
    expect(result.attachTo).toBeNull();
  });

  it('keeps a masked secret the server has', () => {
    expect(() => plan({ mcpServers: { files: { command: 'node', env: { API_KEY: '••••1234' } } } })).not.toThrow();
  });

  it('refuses masks with nothing to keep, naming each', () => {
    expect(
      refusedFields({
        mcpServers: {
          files: { command: 'node', env: { OTHER: '••••' }, headers: { 'X-Key': '••••abcd' }, bearerToken: '••••' },
          web: { url: 'https://x.example/mcp', headers: { Authorization: '••••wxyz' } },
        },
      }),
    ).toEqual(['mcpServers.files.env.OTHER', 'mcpServers.files.headers.X-Key', 'mcpServers.files.bearerToken', 'mcpServers.web.headers.Authorization']);
  });

  it('matches profiles by slug and lets them name existing and imported servers', () => {
    const result = plan({
      mcpServers: { web: { url: 'https://x.example/mcp' } },
      gatehouse: { profiles: { dev: { servers: [{ name: 'files' }, { name: 'web' }] }, ops: { tools: [{ server: 'web', tool: 'x' }] } } },
    });
    expect(result.profiles.map(({ slug, profileId, exists }) => ({ slug, profileId, exists }))).toEqual([
      { slug: 'dev', profileId: 'prf-dev', exists: true },
      { slug: 'ops', profileId: 'new-2', exists: false },
    ]);
    expect([...result.serverIds]).toEqual([['files', 'srv-files'], ['web', 'new-1']]);
  });

  it('refuses profile entries that name unknown servers', () => {
    expect(refusedFields({ mcpServers: {}, gatehouse: { profiles: { dev: { servers: [{ name: 'nope' }], tools: [{ server: 'gone', tool: 't' }] } } } })).toEqual([
      'gatehouse.profiles.dev.servers[0].name',
      'gatehouse.profiles.dev.tools[0].server',
    ]);
  });

  it('attaches to an existing profile', () => {
    expect(plan({ mcpServers: {} }, 'dev')).toMatchObject({ attachTo: 'dev', profiles: [{ slug: 'dev', profileId: 'prf-dev', entry: null }] });
  });

  it('attaches to a profile the same document creates', () => {
    const result = plan({ mcpServers: {}, gatehouse: { profiles: { ops: {} } } }, 'ops');
    expect(result.profiles).toHaveLength(1);
    expect(result).toMatchObject({ attachTo: 'ops', profiles: [{ slug: 'ops', exists: false }] });
  });

  it('creates a profile to attach to that does not exist, with the defaults', () => {
    const result = plan({ mcpServers: { web: { url: 'https://x.example/mcp' } } }, 'ops');
    expect(result.attachTo).toBe('ops');
    expect(result.profiles).toEqual([
      {
        slug: 'ops',
        profileId: 'new-2',
        exists: false,
        entry: { slug: 'ops', name: 'ops', description: null, toolPrefix: 'always', toolExposure: 'all', adaptiveToolLimit: 20, auth: { apiKey: true, queryParam: false }, debugLogging: false, servers: [], tools: [] },
      },
    ]);
  });
});
