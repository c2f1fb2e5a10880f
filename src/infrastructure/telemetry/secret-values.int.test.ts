import { makeTempDir } from '../../../test/support/temp-dir';
import { openTestApplication } from '../../../test/support/application';
import type { Application } from '../application';
import { REDACTED } from './redaction';
import { SecretValues } from './secret-values';
import { storageOf } from '../application-storage';

const context = { actor: 'test', correlationId: 'c-1' };

describe('SecretValues', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let app: Application;
  let values: SecretValues;
  const hidden = (text: string): string => values.redactor().redactText(text);

  beforeEach(async () => {
    dir = makeTempDir();
    app = await openTestApplication(dir.path);
    values = new SecretValues(storageOf(app).database.reads, app.secrets, () => ['the-admin-token-0001'], app.store.committed$);
    await values.reload();
  });

  afterEach(async () => {
    values.close();
    await app.close();
    dir.cleanup();
  });

  const register = (name: string, secret: string) =>
    app.commands.servers.register(
      { name, transport: 'streamable_http', url: 'https://upstream.example.com/mcp', headers: { Authorization: `Bearer hdr-${secret}` }, bearerToken: `bearer-${secret}` },
      context,
    );

  it('covers a registered server’s secrets from the commit on, and the fixed ones', async () => {
    expect(hidden('hdr-one-0001 bearer-one-0001 the-admin-token-0001')).toBe('hdr-one-0001 bearer-one-0001 ' + REDACTED);
    await register('one', 'one-0001');
    expect(hidden('hdr-one-0001 and bearer-one-0001')).toBe(`${REDACTED} and ${REDACTED}`);
  });

  it('replaces only the settings a reconfiguration changes, and forgets a removed server', async () => {
    const { serverId } = await register('one', 'one-0001');
    await app.commands.servers.reconfigure(serverId, { headers: { Authorization: 'Bearer hdr-two-0002' } }, context);
    expect(hidden('hdr-two-0002 bearer-one-0001 hdr-one-0001')).toBe(`${REDACTED} ${REDACTED} hdr-one-0001`);
    await app.commands.servers.remove(serverId, context);
    expect(hidden('hdr-two-0002 bearer-one-0001')).toBe('hdr-two-0002 bearer-one-0001');
  });

  it('covers secret env values only, at start and on every change', async () => {
    const env = { API_KEY: 'env-key-0005-Zq8r', LOG_LEVEL: 'debug-verbose-level', PLAIN_TOKEN: { value: 'plain-by-choice-0006', secret: false } };
    const { serverId } = await app.commands.servers.register({ name: 'local', transport: 'stdio', command: 'node', env }, context);
    const text = 'env-key-0005-Zq8r debug-verbose-level plain-by-choice-0006';
    expect(hidden(text)).toBe(`${REDACTED} debug-verbose-level plain-by-choice-0006`);
    const fresh = new SecretValues(storageOf(app).database.reads, app.secrets);
    await fresh.reload();
    expect(fresh.redactor().redactText(text)).toBe(`${REDACTED} debug-verbose-level plain-by-choice-0006`);
    fresh.close();
    await app.commands.servers.reconfigure(serverId, { env: { ...env, LOG_LEVEL: { value: 'debug-verbose-level', secret: true } } }, context);
    expect(hidden(text)).toBe(`${REDACTED} ${REDACTED} plain-by-choice-0006`);
  });

  it('reads what is already configured at start, without the removed servers', async () => {
    await register('kept', 'kept-0003');
    const { serverId } = await register('gone', 'gone-0004');
    await app.commands.servers.remove(serverId, context);
    const fresh = new SecretValues(storageOf(app).database.reads, app.secrets);
    await fresh.reload();
    expect(fresh.redactor().redactText('bearer-kept-0003 bearer-gone-0004')).toBe(`${REDACTED} bearer-gone-0004`);
    fresh.close();
  });
});
