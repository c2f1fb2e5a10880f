import { randomUUID } from 'node:crypto';
import { openTestApplication } from '../../../test/support/application';
import { makeTempDir } from '../../../test/support/temp-dir';
import type { Application } from '../application';
import { BackupError } from '../crypto/backup-cipher';
import type { SealedSecret } from '../../domain/shared';
import { serverRowToSnapshot } from '../readmodels/server';
import { exportBackup, exportConfig, ImportRefusedError, openBackup, parseImportDocument, type BackupDocument } from '.';

const context = () => ({ actor: 'test', correlationId: randomUUID() });
const PASSPHRASE = 'a long backup passphrase';
const SECRETS = { API_KEY: 'files-api-key-0001', REGION: 'eu-west-region-0004', TOKEN: 'remote-bearer-0002', HEADER: 'remote-header-0003' };

const config = {
  mcpServers: {
    files: { command: 'node', args: ['server.js'], env: { API_KEY: SECRETS.API_KEY, LOG_LEVEL: 'debug', REGION: { value: SECRETS.REGION, secret: true } } },
    remote: { type: 'http', url: 'https://mcp.example.com/mcp', headers: { 'X-Api-Key': SECRETS.HEADER }, bearerToken: SECRETS.TOKEN },
  },
  gatehouse: { profiles: { dev: { servers: [{ name: 'files' }, { name: 'remote', status: 'inactive' }] } } },
};

type Database = { ctx: Application; cleanup: () => Promise<void> };

const open = async (): Promise<Database> => {
  const dir = makeTempDir();
  const ctx = await openTestApplication(dir.path);
  return { ctx, cleanup: async () => (await ctx.close(), dir.cleanup()) };
};

/** What `gatehouse import` does with a backup: open it, then import the plain document it holds. */
const restore = async (ctx: Application, backup: unknown, passphrase = PASSPHRASE) =>
  ctx.commands.importDocument(parseImportDocument(await openBackup(JSON.parse(JSON.stringify(backup)), passphrase)), {}, context());

const plaintext = async (ctx: Application, name: string, read: (server: ReturnType<typeof serverRowToSnapshot>) => Parameters<Application['secrets']['open']>[0]) =>
  ctx.secrets.open(read(serverRowToSnapshot((await ctx.queries.servers.find(name))!)));

/** The same text with its first character changed (base64url stays base64url). */
const other = (text: string): string => (text[0] === 'A' ? 'B' : 'A') + text.slice(1);

const without = ({ gatehouse, ...rest }: { gatehouse: { profiles: unknown } } & Record<string, unknown>) => ({ ...rest, profiles: gatehouse.profiles });

describe('a backup with secrets', () => {
  let a: Database;
  let b: Database;
  let backup: BackupDocument;

  beforeAll(async () => {
    a = await open();
    await a.ctx.commands.importDocument(parseImportDocument(config), {}, context());
    backup = await a.ctx.exports.backup(PASSPHRASE);
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

  it('says what it is and holds no secret in clear, only sealed values', () => {
    expect(backup.backup).toEqual({
      format: 'gatehouse-backup',
      version: 1,
      cipher: 'aes-256-gcm',
      kdf: { name: 'scrypt', N: 131072, r: 8, p: 1, salt: expect.any(String) },
      verifier: expect.any(String),
      mac: expect.any(String),
    });
    const text = JSON.stringify(backup);
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(backup.mcpServers.files).toEqual({ type: 'stdio', command: 'node', args: ['server.js'], env: { API_KEY: { sealed: expect.any(String) }, LOG_LEVEL: 'debug', REGION: { value: { sealed: expect.any(String) }, secret: true } },
    });
    expect(backup.mcpServers.remote).toMatchObject({ headers: { 'X-Api-Key': { sealed: expect.any(String) } }, bearerToken: { sealed: expect.any(String) } });
  });

  it('restores a fresh database: the same configuration, secrets that open there', async () => {
    const result = await restore(b.ctx, backup);
    expect(result.servers.map((server) => server.action)).toEqual(['registered', 'registered']);
    expect(without(await b.ctx.exports.config())).toEqual({ ...without(await a.ctx.exports.config()) });
    expect(await plaintext(b.ctx, 'files', (server) => server.env.API_KEY as SealedSecret)).toBe(SECRETS.API_KEY);
    // A secret whose name would not make it one stays secret; a plain value stays plain.
    expect(await plaintext(b.ctx, 'files', (server) => server.env.REGION as SealedSecret)).toBe(SECRETS.REGION);
    expect(serverRowToSnapshot((await b.ctx.queries.servers.find('files'))!).env.LOG_LEVEL).toEqual({ plain: 'debug' });
    expect(await plaintext(b.ctx, 'remote', (server) => server.headers['X-Api-Key'])).toBe(SECRETS.HEADER);
    expect(await plaintext(b.ctx, 'remote', (server) => server.bearerToken!)).toBe(SECRETS.TOKEN);
    expect((await restore(b.ctx, backup)).appended).toBe(0);
  });

  it('refuses a wrong passphrase, appending nothing', async () => {
    await expect(restore(b.ctx, backup, 'not the passphrase at all')).rejects.toMatchObject({ code: 'BACKUP_PASSPHRASE_WRONG' });
    expect(await b.ctx.store.headPosition()).toBe(0);
  });

  it.each([
    ['a changed command', (doc: BackupDocument) => void (doc.mcpServers.files.command = 'evil')],
    ['an added server', (doc: BackupDocument) => void (doc.mcpServers.extra = { command: 'evil' })],
    ['a removed secret', (doc: BackupDocument) => void delete (doc.mcpServers.remote as { bearerToken?: unknown }).bearerToken],
    ['swapped sealed values', (doc: BackupDocument) => {
      const remote = doc.mcpServers.remote as { headers: Record<string, unknown>; bearerToken: unknown };
      [remote.headers['X-Api-Key'], remote.bearerToken] = [remote.bearerToken, remote.headers['X-Api-Key']];
    }],
    ['a changed profile', (doc: BackupDocument) => void (doc.gatehouse.profiles.dev.servers[1].status = 'active')],
    ['a changed MAC', (doc: BackupDocument) => void (doc.backup = { ...doc.backup, mac: other(doc.backup.mac) })],
  ])('refuses %s as altered, appending nothing', async (_, tamper) => {
    const altered = structuredClone(backup);
    tamper(altered);
    await expect(restore(b.ctx, altered)).rejects.toMatchObject({ code: 'BACKUP_TAMPERED', message: expect.stringContaining('altered') });
    expect(await b.ctx.store.headPosition()).toBe(0);
  });

  it('refuses a changed salt as a wrong passphrase or altered header', async () => {
    const altered = structuredClone(backup);
    altered.backup = { ...altered.backup, kdf: { ...altered.backup.kdf, salt: other(altered.backup.kdf.salt) } };
    await expect(restore(b.ctx, altered)).rejects.toMatchObject({ code: 'BACKUP_PASSPHRASE_WRONG' });
  });

  it('refuses a header it cannot read before deriving anything', async () => {
    for (const header of [null, { ...backup.backup, format: 'other' }, { ...backup.backup, version: 2 }, { ...backup.backup, kdf: { ...backup.backup.kdf, N: 2 ** 30 } }]) {
      const refusal = openBackup({ ...backup, backup: header }, PASSPHRASE);
      await expect(refusal).rejects.toBeInstanceOf(BackupError);
      await expect(refusal).rejects.toMatchObject({ code: 'BACKUP_INVALID' });
    }
  });

  it('is refused as a plain import document, so that sealed values are never taken for secrets', () => {
    expect(() => parseImportDocument(backup)).toThrow(ImportRefusedError);
    expect(() => parseImportDocument(backup)).toThrow(/encrypted backup.*GATEHOUSE_BACKUP_PASSPHRASE/);
  });
});
