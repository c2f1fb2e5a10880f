import { randomUUID } from 'node:crypto';
import { describeOnBothBackends, type OpenedApplication, useApplicationPerTest } from '../../../../test/support/application';

const context = () => ({ actor: 'test', correlationId: randomUUID() });

/** The whole-row reads of servers (compiled queries, rows in the entity's shape), on each backend. */
const serverReadsContract = (open: () => Promise<OpenedApplication>) => {
  const app = useApplicationPerTest(open);

  it('finds a server by id (any case) and by active name with every column typed; a removed one only by id, when asked', async () => {
    const { serverId } = await app().commands.servers.register({ name: 'files', transport: 'stdio', command: 'node', args: ['files.js'], env: {}, timeoutMs: 5_000 }, context());
    const servers = app().queries.servers;
    const row = await servers.find('files');
    expect(row).toMatchObject({
      id: serverId, name: 'files', description: null, transport: 'stdio', command: 'node', args: JSON.stringify(['files.js']), cwd: null, url: null,
      bearerToken: null, timeoutMs: 5_000, status: 'active', version: 1, approveFirstDiscovery: expect.any(Number), removedAt: null,
    });
    expect(typeof row?.env).toBe('string');
    expect(await servers.find(serverId.toUpperCase())).toEqual(row);
    expect(await servers.byId(serverId)).toEqual(row);
    expect(await servers.find('nothing')).toBeNull();
    expect(await servers.byId(randomUUID())).toBeNull();

    await app().commands.servers.remove(serverId, context());
    expect(await servers.find('files')).toBeNull();
    expect(await servers.find(serverId)).toBeNull();
    expect(await servers.find(serverId, { includeRemoved: true })).toMatchObject({ id: serverId, status: 'removed', removedAt: expect.any(String) });
  });
};

describeOnBothBackends('ServerReadModel', serverReadsContract);
