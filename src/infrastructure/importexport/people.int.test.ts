import { randomUUID } from 'node:crypto';
import { openTestApplication } from '../../../test/support/application';
import { makeTempDir } from '../../../test/support/temp-dir';
import type { Application } from '../application';
import { BackupError } from '../crypto/backup-cipher';
import { checkPassword } from '../sessions';
import { exportBackup, exportConfig, ImportRefusedError, openBackup, parseImportDocument } from '.';

const context = () => ({ actor: 'test', correlationId: randomUUID() });
const PASSPHRASE = 'a long backup passphrase';
const PASSWORDS = { olivia: 'olivia password 0001', ada: 'ada password 0002', mia: 'mia password 0003' };

const config = {
  mcpServers: { files: { command: 'node', args: ['server.js'] } },
  gatehouse: { profiles: { dev: { servers: [{ name: 'files' }] }, ops: {} } },
};

type Store = { ctx: Application; cleanup: () => Promise<void> };
const open = async (): Promise<Store> => {
  const dir = makeTempDir();
  const ctx = await openTestApplication(dir.path);
  return { ctx, cleanup: async () => (await ctx.close(), dir.cleanup()) };
};
const eventCount = async (ctx: Application): Promise<number> => ctx.store.headPosition();

describe('users and access settings in exports and backups', () => {
  let a: Store;
  let b: Store;

  beforeAll(async () => {
    a = await open();
    await a.ctx.commands.importDocument(parseImportDocument(config), {}, context());
    const ids: Record<string, string> = {};
    for (const [name, role] of [['olivia', 'owner'], ['ada', 'admin'], ['mia', 'member']] as const) {
      ids[name] = (await a.ctx.commands.users.register({ name, role, password: PASSWORDS[name] }, context())).userId;
    }
    await a.ctx.commands.users.disable(ids.mia, context());
    const dev = (await a.ctx.queries.profiles.findBySlug('dev'))!.id;
    await a.ctx.commands.access.set('profile', dev, { owner: 'ada', visibility: 'shared', sharedWithUsers: ['mia'], sharedWithRoles: ['member'] }, context());
    const files = (await a.ctx.queries.servers.find('files'))!.id;
    await a.ctx.commands.access.set('server', files, { owner: 'ada', visibility: 'private', sharedWithUsers: [], sharedWithRoles: [] }, context());
  });
  afterAll(async () => {
    await a.cleanup();
  });
  beforeEach(async () => {
    b = await open();
  });
  afterEach(async () => {
    await b.cleanup();
  });

  it('exports users without password hashes, and access with users by name', async () => {
    const document = await a.ctx.exports.config();
    expect(document.gatehouse.users).toEqual([
      { name: 'olivia', role: 'owner', status: 'enabled' },
      { name: 'ada', role: 'admin', status: 'enabled' },
      { name: 'mia', role: 'member', status: 'disabled' },
    ]);
    expect(document.gatehouse.access).toEqual({
      profiles: { dev: { owner: 'ada', visibility: 'shared', sharedWithUsers: ['mia'], sharedWithRoles: ['member'] } },
      servers: { files: { owner: 'ada', visibility: 'private', sharedWithUsers: [], sharedWithRoles: [] } },
    });
    expect(JSON.stringify(document)).not.toContain('scrypt');
  });

  it('imports a plain export without creating users (it has no passwords), saying so', async () => {
    const result = await b.ctx.commands.importDocument(parseImportDocument(JSON.parse(JSON.stringify(await a.ctx.exports.config()))), {}, context());
    expect(await b.ctx.queries.users.count()).toBe(0);
    expect(result.people).toMatchObject({ usersCreated: [], accessSet: [] });
    expect(result.warnings).toEqual(expect.arrayContaining([expect.stringContaining('user "olivia" was not created'), expect.stringContaining('access of profile "dev" was not set: it names user "ada"')]));
    expect(result.servers.map((server) => server.action)).toEqual(['registered']);
  });

  it('restores users with their passwords, their status, and the access settings from a backup, once', async () => {
    const backup = await a.ctx.exports.backup(PASSPHRASE);
    const text = JSON.stringify(backup);
    expect(text).not.toContain('scrypt$');
    expect(backup.gatehouse.users?.[0]).toEqual({ name: 'olivia', role: 'owner', status: 'enabled', passwordHash: { sealed: expect.any(String) } });
    const restore = async () => b.ctx.commands.importDocument(parseImportDocument(await openBackup(JSON.parse(text), PASSPHRASE), { fromBackup: true }), {}, context());

    const dry = await b.ctx.commands.importDocument(parseImportDocument(await openBackup(JSON.parse(text), PASSPHRASE), { fromBackup: true }), { dryRun: true }, context());
    expect(dry.people).toMatchObject({ usersCreated: ['olivia', 'ada', 'mia'], accessSet: ['profile:dev', 'server:files'] });
    expect(await eventCount(b.ctx)).toBe(0);

    const result = await restore();
    expect(result.people).toMatchObject({ usersCreated: ['olivia', 'ada', 'mia'], accessSet: ['profile:dev', 'server:files'], warnings: [] });
    expect(result.appended).toBe(await eventCount(b.ctx));
    for (const [name, password] of Object.entries(PASSWORDS)) {
      const row = await checkPassword(b.ctx.queries.users, name, password);
      // A disabled user keeps its password but cannot sign in.
      if (name === 'mia') expect(row).toBeNull();
      else expect(row).toMatchObject({ name });
      expect((await b.ctx.queries.users.byName(name))!.passwordHash).toBe((await a.ctx.queries.users.byName(name))!.passwordHash);
    }
    expect((await b.ctx.queries.users.byName('mia'))!.status).toBe('disabled');
    const { gatehouse: restored } = await b.ctx.exports.config();
    const { gatehouse: original } = await a.ctx.exports.config();
    // The same users and access; their order is the order they were created in, and a restore
    // creates them all in one transaction (often in one millisecond), so it is not compared.
    const byName = (users: typeof original.users) => [...(users ?? [])].sort((x, y) => x.name.localeCompare(y.name));
    expect([byName(restored.users), restored.access]).toEqual([byName(original.users), original.access]);
    expect(restored.users).toHaveLength(3);

    const again = await restore();
    expect(again).toMatchObject({ appended: 0, people: { usersCreated: [], accessSet: [] } });
  });

  it('restores users and access in the import\'s own transaction: writes made meanwhile land before or after it, never between', async () => {
    const text = JSON.stringify(await a.ctx.exports.backup(PASSPHRASE));
    const document = parseImportDocument(await openBackup(JSON.parse(text), PASSPHRASE), { fromBackup: true });
    const importContext = context();
    const importing = b.ctx.commands.importDocument(document, {}, importContext);
    const meanwhile = Array.from({ length: 8 }, (_, index) => b.ctx.commands.profiles.create({ slug: `meanwhile-${index}`, name: `meanwhile ${index}` }, context()));
    const [result] = await Promise.all([importing, ...meanwhile]);
    const positions = (await b.ctx.store.readAll()).filter((event) => event.metadata.correlationId === importContext.correlationId).map((event) => event.position);
    expect(positions).toHaveLength(result.appended);
    expect(result.people).toMatchObject({ usersCreated: ['olivia', 'ada', 'mia'], accessSet: ['profile:dev', 'server:files'] });
    // One transaction: the positions follow each other with no other write's event among them.
    expect(positions[positions.length - 1] - positions[0]).toBe(positions.length - 1);
  });

  it('restores a disabled owner listed before the enabled one (all users are registered before any is disabled)', async () => {
    const opened = (await openBackup(JSON.parse(JSON.stringify(await a.ctx.exports.backup(PASSPHRASE))), PASSPHRASE)) as { gatehouse: { users: Array<{ name: string; role: string; status: string }> } };
    const [olivia, ada, mia] = opened.gatehouse.users;
    opened.gatehouse.users = [{ ...olivia, status: 'disabled' }, { ...ada, role: 'owner' }, mia];
    const result = await b.ctx.commands.importDocument(parseImportDocument(opened, { fromBackup: true }), {}, context());
    expect(result.people).toMatchObject({ usersCreated: ['olivia', 'ada', 'mia'], warnings: [] });
    expect(await Promise.all(['olivia', 'ada', 'mia'].map(async (name) => (({ role, status }) => [role, status])((await b.ctx.queries.users.byName(name))!)))).toEqual([
      ['owner', 'disabled'],
      ['owner', 'enabled'],
      ['member', 'disabled'],
    ]);
  });

  it('refuses bad users and access entries, and password hashes outside a backup, changing nothing', async () => {
    const hash = (await a.ctx.queries.users.byName('ada'))!.passwordHash;
    const bad: Array<[unknown, string]> = [
      [{ users: [{ name: 'eve', role: 'root', status: 'enabled' }] }, 'gatehouse.users[0].role'],
      [{ users: [{ name: 'Eve!', role: 'member', status: 'enabled' }] }, 'gatehouse.users[0].name'],
      [{ users: [{ name: 'eve', role: 'owner', status: 'enabled', passwordHash: hash }] }, 'gatehouse.users[0].passwordHash'],
      [{ users: [{ name: 'eve', role: 'member', status: 'enabled', extra: 1 }] }, 'gatehouse.users[0]'],
      [{ users: {} }, 'gatehouse.users'],
      [{ access: { profiles: { dev: { owner: 'ada', visibility: 'public', sharedWithUsers: [], sharedWithRoles: [] } } } }, 'gatehouse.access.profiles.dev.visibility'],
      [{ access: { profiles: { dev: { owner: 'ada', visibility: 'shared', sharedWithUsers: [], sharedWithRoles: ['root'] } } } }, 'gatehouse.access.profiles.dev.sharedWithRoles'],
      [{ access: { keys: {} } }, 'gatehouse.access'],
    ];
    for (const [section, field] of bad) {
      let refusal: unknown;
      try {
        parseImportDocument({ mcpServers: {}, gatehouse: section });
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(ImportRefusedError);
      expect((refusal as ImportRefusedError).errors.map((error) => error.field)).toContain(field);
    }
    // In a backup, a hash must be a scrypt hash; and a backup's users cannot be altered (its MAC).
    expect(() => parseImportDocument({ mcpServers: {}, gatehouse: { users: [{ name: 'eve', role: 'owner', status: 'enabled', passwordHash: 'hunter2' }] } }, { fromBackup: true })).toThrow(ImportRefusedError);
    const backup = JSON.parse(JSON.stringify(await a.ctx.exports.backup(PASSPHRASE)));
    backup.gatehouse.users[2].role = 'owner';
    await expect(openBackup(backup, PASSPHRASE)).rejects.toBeInstanceOf(BackupError);
    expect(await eventCount(b.ctx)).toBe(0);
  });
});
