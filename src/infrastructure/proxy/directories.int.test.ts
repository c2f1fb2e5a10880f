import { randomUUID } from 'node:crypto';
import { openTestApplication } from '../../../test/support/application';
import { makeTempDir } from '../../../test/support/temp-dir';
import { type Application } from '../application';
import { startGateway, type Gateway } from '../gateway';
import { hashApiKey } from '../commands/apikey.commands';
import type { StoredEvent } from '../eventstore';

const context = () => ({ actor: 'test', correlationId: randomUUID() });

/**
 * The caches the proxy reads instead of the database, against a real SQLite file: what a
 * commit of this process changes is seen by the very next read, and what another process
 * commits on the same file is seen once the log follower reads it.
 */
describe('profile and key directories fed by the committed events', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let app: Application;
  let gateway: Gateway;

  beforeEach(async () => {
    dir = makeTempDir();
    app = await openTestApplication(dir.path);
    gateway = await startGateway(app, { adminToken: 'admin-token-for-tests', publicUrl: () => 'http://127.0.0.1:1', followIntervalMs: 50 });
  });

  afterEach(async () => {
    try {
      await gateway.close();
    } finally {
      await app.close();
      dir.cleanup();
    }
  });

  it('serves the same snapshot until a commit changes it, then the new one at once', async () => {
    const { serverId } = await app.commands.servers.register({ name: 'files', transport: 'stdio', command: 'node' }, context());
    const { profileId } = await app.commands.profiles.create({ slug: 'dev' }, context());
    await app.commands.profiles.attach(profileId, serverId, 'active', context());
    const first = await gateway.profiles.bySlug('dev');
    expect(first?.servers.map((spec) => spec.name)).toEqual(['files']);
    expect(await gateway.profiles.byId(profileId)).toBe(first);

    await app.commands.profiles.setTool(profileId, serverId, 'write', { status: 'inactive' }, context());
    const second = await gateway.profiles.byId(profileId);
    expect(second).not.toBe(first);
    expect(second?.tools.get(`${serverId}/write`)).toMatchObject({ status: 'inactive' });

    // A server event changes every profile that holds the server.
    await app.commands.servers.reconfigure(serverId, { name: 'disk' }, context());
    expect((await gateway.profiles.bySlug('dev'))?.servers.map((spec) => spec.name)).toEqual(['disk']);

    await app.commands.profiles.update(profileId, { slug: 'development' }, context());
    expect(await gateway.profiles.bySlug('dev')).toBeNull();
    expect((await gateway.profiles.bySlug('development'))?.id).toBe(profileId);
    await app.commands.profiles.delete(profileId, context());
    expect(await gateway.profiles.byId(profileId)).toBeNull();
  });

  it('forgets a revoked key at once', async () => {
    await app.commands.profiles.create({ slug: 'dev' }, context());
    const { keyId, key } = await app.commands.apiKeys.issue({ name: 'k', profiles: ['dev'] }, context());
    expect(await gateway.keys.byHash(hashApiKey(key))).toMatchObject({ id: keyId, status: 'active' });
    await app.commands.apiKeys.revoke(keyId, context());
    expect(await gateway.keys.byHash(hashApiKey(key))).toMatchObject({ id: keyId, status: 'revoked' });
  });

  it('follows what another process commits on the same database, each event once', async () => {
    const other = await openTestApplication(dir.path);
    const seen: StoredEvent[] = [];
    const subscription = gateway.follower.events$.subscribe((event) => seen.push(event));
    try {
      const { profileId } = await app.commands.profiles.create({ slug: 'here' }, context());
      expect(await gateway.profiles.byId(profileId)).not.toBeNull();
      await other.commands.profiles.update(profileId, { name: 'Changed elsewhere' }, context());
      await other.commands.profiles.create({ slug: 'there' }, context());
      const deadline = Date.now() + 5_000;
      while (seen.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen.map((event) => event.type)).toEqual(['ProfileCreated', 'ProfileUpdated', 'ProfileCreated']);
      expect(seen.map((event) => event.position)).toEqual([1, 2, 3]);
      await gateway.follower.poll();
      expect(seen).toHaveLength(3);
      expect((await gateway.profiles.bySlug('there'))?.slug).toBe('there');
    } finally {
      subscription.unsubscribe();
      await other.close();
    }
  });
});
