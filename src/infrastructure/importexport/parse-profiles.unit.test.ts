import { ImportRefusedError } from './document';
import { parseImportDocument } from './parse';

const profiles = (section: unknown) => parseImportDocument({ mcpServers: {}, gatehouse: section }).profiles;

const refusedFields = (section: unknown): string[] => {
  try {
    parseImportDocument({ mcpServers: {}, gatehouse: section });
  } catch (error) {
    if (error instanceof ImportRefusedError) return error.errors.map((entry) => entry.field);
    throw error;
  }
  throw new Error('the section was accepted');
};

describe('parsing the gatehouse section', () => {
  it('reads a profile with defaults for what it leaves out', () => {
    expect(profiles({ profiles: { dev: {} } })).toEqual([
      {
        slug: 'dev', name: 'dev', description: null, toolPrefix: 'always', toolExposure: 'all', adaptiveToolLimit: 20, auth: { apiKey: true, queryParam: false },
        debugLogging: false, servers: [], tools: [],
      },
    ]);
  });

  it('reads everything an export writes, ignoring its position and time', () => {
    const section = {
      position: 12,
      exportedAt: '2026-01-01T00:00:00.000Z',
      profiles: {
        dev: {
          name: 'Dev', description: 'Local', toolPrefix: 'on_conflict', toolExposure: 'search', adaptiveToolLimit: 7, auth: { apiKey: false, queryParam: true }, debugLogging: true,
          servers: [{ name: 'files', status: 'active' }, { name: 'remote', status: 'inactive' }],
          tools: [{ server: 'files', tool: 'write', status: 'inactive', name: 'save', title: 'Save', description: 'Saves', annotations: { readOnlyHint: false } }],
        },
      },
    };
    expect(profiles(section)).toEqual([
      {
        slug: 'dev', name: 'Dev', description: 'Local', toolPrefix: 'on_conflict', toolExposure: 'search', adaptiveToolLimit: 7, auth: { apiKey: false, queryParam: true }, debugLogging: true,
        servers: [{ name: 'files', status: 'active' }, { name: 'remote', status: 'inactive' }],
        tools: [{ server: 'files', tool: 'write', status: 'inactive', name: 'save', title: 'Save', description: 'Saves', annotations: { readOnlyHint: false } }],
      },
    ]);
  });

  it('leaves profiles alone when there is no section', () => {
    expect(parseImportDocument({ mcpServers: {} }).profiles).toBeNull();
  });

  it.each<[string, unknown, string]>([
    ['a section that is no object', [], 'gatehouse'],
    ['an unknown section field', { profiles: {}, teams: [] }, 'gatehouse.teams'],
    ['profiles that are no object', { profiles: [] }, 'gatehouse.profiles'],
    ['a bad slug', { profiles: { Dev: {} } }, 'gatehouse.profiles.Dev'],
    ['a profile that is no object', { profiles: { dev: 'x' } }, 'gatehouse.profiles.dev'],
    ['an unknown profile field', { profiles: { dev: { slug: 'dev' } } }, 'gatehouse.profiles.dev.slug'],
    ['an unknown tool prefix mode', { profiles: { dev: { toolPrefix: 'sometimes' } } }, 'gatehouse.profiles.dev.toolPrefix'],
    ['an unknown tool exposure mode', { profiles: { dev: { toolExposure: 'smart' } } }, 'gatehouse.profiles.dev.toolExposure'],
    ['an adaptive tool limit out of range', { profiles: { dev: { adaptiveToolLimit: 0 } } }, 'gatehouse.profiles.dev.adaptiveToolLimit'],
    ['auth that is no object', { profiles: { dev: { auth: true } } }, 'gatehouse.profiles.dev.auth'],
    ['an auth flag that is no boolean', { profiles: { dev: { auth: { apiKey: 'yes' } } } }, 'gatehouse.profiles.dev.auth.apiKey'],
    ['servers that are no array', { profiles: { dev: { servers: { files: 'active' } } } }, 'gatehouse.profiles.dev.servers'],
    ['a server link without name', { profiles: { dev: { servers: [{ status: 'active' }] } } }, 'gatehouse.profiles.dev.servers[0].name'],
    ['a bad link status', { profiles: { dev: { servers: [{ name: 'a', status: 'on' }] } } }, 'gatehouse.profiles.dev.servers[0].status'],
    ['a server listed twice', { profiles: { dev: { servers: [{ name: 'a' }, { name: 'a' }] } } }, 'gatehouse.profiles.dev.servers[1].name'],
    ['a tool without server', { profiles: { dev: { tools: [{ tool: 'read' }] } } }, 'gatehouse.profiles.dev.tools[0].server'],
    ['a bad override name', { profiles: { dev: { tools: [{ server: 'a', tool: 'read', name: 'a b' }] } } }, 'gatehouse.profiles.dev.tools[0].name'],
    [
      'an override name used twice',
      { profiles: { dev: { tools: [{ server: 'a', tool: 'r', name: 'x' }, { server: 'a', tool: 's', name: 'x' }] } } },
      'gatehouse.profiles.dev.tools[1].name',
    ],
    ['annotations that are no object', { profiles: { dev: { tools: [{ server: 'a', tool: 'r', annotations: [] }] } } }, 'gatehouse.profiles.dev.tools[0].annotations'],
  ])('refuses %s, naming the field', (_, section, field) => {
    expect(refusedFields(section)).toEqual([field]);
  });

  it('reports bad servers and bad profiles together', () => {
    try {
      parseImportDocument({ mcpServers: { s: {} }, gatehouse: { profiles: { Bad: {} } } });
      throw new Error('accepted');
    } catch (error) {
      expect((error as ImportRefusedError).errors.map((entry) => entry.field)).toEqual(['mcpServers.s.type', 'gatehouse.profiles.Bad']);
    }
  });
});
