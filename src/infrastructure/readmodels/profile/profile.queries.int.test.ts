import { randomUUID } from 'node:crypto';
import { describeOnBothBackends, type OpenedApplication, useApplicationPerTest } from '../../../../test/support/application';
import { OAuthReadModel } from '../oauth';
import { storageOf } from '../../application-storage';

const context = () => ({ actor: 'test', correlationId: randomUUID() });

/** The whole-row reads of profiles (compiled queries, rows in the entity's shape), on each backend. */
const profileReadsContract = (open: () => Promise<OpenedApplication>) => {
  const app = useApplicationPerTest(open);

  it('finds a profile by slug and id with every column typed, its links in attach order, its view, and its proxy record', async () => {
    const register = async (name: string) => (await app().commands.servers.register({ name, transport: 'stdio', command: 'node', args: [`${name}.js`], env: {} }, context())).serverId;
    const zulu = await register('zulu');
    const alpha = await register('alpha');
    const { profileId } = await app().commands.profiles.create({ slug: 'team', description: 'The team' }, context());
    await app().commands.profiles.attach(profileId, zulu, 'active', context());
    await app().commands.profiles.attach(profileId, alpha, 'inactive', context());

    const profiles = app().queries.profiles;
    const row = await profiles.findBySlug('team');
    expect(row).toEqual({
      id: profileId, slug: 'team', name: expect.any(String), description: 'The team', toolPrefix: 'always', toolExposure: expect.any(String),
      adaptiveToolLimit: expect.any(Number), authApiKey: expect.any(Number), authQueryParam: expect.any(Number), authMode: expect.any(String),
      debugLogging: 0, status: 'active', version: 3, createdAt: expect.any(String), updatedAt: expect.any(String), deletedAt: null,
    });
    expect(await profiles.byId(profileId)).toEqual(row);
    expect(await profiles.byId(randomUUID())).toBeNull();
    expect(await profiles.findBySlug('nobody')).toBeNull();

    expect((await profiles.links(profileId)).map((link) => [link.serverId, link.status, typeof link.position])).toEqual([
      [zulu, 'active', 'number'],
      [alpha, 'inactive', 'number'],
    ]);
    const view = await profiles.view(row as NonNullable<typeof row>);
    expect(view).toMatchObject({ id: profileId, slug: 'team', version: 3, debugLogging: false, servers: [{ id: zulu, name: 'zulu', status: 'active' }, { id: alpha, name: 'alpha', status: 'inactive' }] });

    for (const key of [{ slug: 'team' }, { id: profileId }]) {
      const record = await profiles.proxyRecord(key);
      expect(record?.profile).toEqual(row);
      expect(record?.servers.map((server) => server.id)).toEqual([zulu]);
    }
  });

  // Every REST write on a profile answers with these reads, and every proxied call to an HTTP
  // upstream reads its token: built by the query builder on every call, they cost 2-3 times as much CPU.
  it('answers a view, the effective tools and a token read with compiled queries: no query is built again per call', async () => {
    const register = async (name: string) => (await app().commands.servers.register({ name, transport: 'stdio', command: 'node', args: [`${name}.js`], env: {} }, context())).serverId;
    const alpha = await register('alpha');
    const beta = await register('beta');
    const { profileId } = await app().commands.profiles.create({ slug: 'answered' }, context());
    await app().commands.profiles.attach(profileId, alpha, 'active', context());
    await app().commands.profiles.attach(profileId, beta, 'inactive', context());
    await app().commands.profiles.setTool(profileId, alpha, 'search', { description: 'Tuned' }, context());
    const reads = storageOf(app()).database.reads;
    const answer = async () => {
      const row = await app().queries.profiles.byId(profileId);
      return {
        view: await app().queries.profiles.view(row as NonNullable<typeof row>),
        tools: await app().queries.effectiveTools(profileId, 'always'),
        token: await new OAuthReadModel(reads).activeTokens(alpha),
      };
    };
    const first = await answer(); // compiles each query, once per database
    expect(first.view.servers).toEqual([{ id: alpha, name: 'alpha', status: 'active' }, { id: beta, name: 'beta', status: 'inactive' }]);
    expect(first.tools).toMatchObject([{ serverId: alpha, serverName: 'alpha', originalName: 'search', description: 'Tuned', discovered: false, status: 'active' }]);
    expect(first.token).toBeNull();

    const built = jest.spyOn(reads, 'createQueryBuilder');
    try {
      expect(await answer()).toEqual(first);
      expect(built).not.toHaveBeenCalled();
    } finally {
      built.mockRestore();
    }
  });

  it('tells a deleted profile from an active one', async () => {
    const { profileId } = await app().commands.profiles.create({ slug: 'gone' }, context());
    await app().commands.profiles.delete(profileId, context());
    const profiles = app().queries.profiles;
    expect(await profiles.findBySlug('gone')).toBeNull();
    expect(await profiles.findBySlug('gone', { includeDeleted: true })).toMatchObject({ id: profileId, status: 'deleted' });
    expect(await profiles.byId(profileId)).toMatchObject({ id: profileId, status: 'deleted', deletedAt: expect.any(String) });
    expect(await profiles.proxyRecord({ id: profileId })).toBeNull();
    expect(await profiles.proxyRecord({ slug: 'gone' })).toBeNull();
  });
};

describeOnBothBackends('ProfileReadModel', profileReadsContract);
