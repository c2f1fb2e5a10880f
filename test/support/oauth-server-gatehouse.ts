import { join } from 'node:path';
import { spawnGatehouse, type ChildGatehouse } from './child-gatehouse';
import { PROBE_SERVER } from './proxy';
import { StoredRows } from './sqlite';
import { makeTempDir, TEST_SECRET_KEY } from './temp-dir';

export const OAUTH_ADMIN_TOKEN = 'oauth-admin-token-0123456789abcdef';

export type OAuthGatehouse = Readonly<{
  url: string;
  child: ChildGatehouse;
  sql: StoredRows;
  api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience: bodies are asserted field by field
  stop: () => Promise<void>;
}>;

/**
 * The built gateway as a child process (oidc-provider is an ES module that jest's CommonJS
 * runtime cannot load; the process requires it as Node does), with a probe server attached to
 * each of `profiles` ({slug: auth mode}).
 */
export const startOAuthGatehouse = async (profiles: Record<string, 'api_keys' | 'oauth' | 'both'>, env: Record<string, string> = {}): Promise<OAuthGatehouse> => {
  const dir = makeTempDir('gatehouse-oauth-');
  const child = await spawnGatehouse({
    GATEHOUSE_DATA_DIR: dir.path,
    GATEHOUSE_ADMIN_TOKEN: OAUTH_ADMIN_TOKEN,
    GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
    GATEHOUSE_AUTH_FAILURES_PER_MINUTE: '100000',
    ...env,
  });
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${child.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${OAUTH_ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  };
  const sql = new StoredRows(join(dir.path, 'gatehouse.db'));
  const stop = async (): Promise<void> => {
    sql.close();
    await child.kill('SIGTERM');
    dir.cleanup();
  };
  try {
    const server = await api('POST', '/api/servers', { name: 'probe', transport: 'stdio', command: process.execPath, args: [PROBE_SERVER, '--label', 'oauth'] });
    if (server.status !== 201) throw new Error(`register probe: ${server.status} ${JSON.stringify(server.body)}`);
    for (const [slug, mode] of Object.entries(profiles)) {
      const created = await api('POST', '/api/profiles', { slug, auth: { mode } });
      const attached = await api('PUT', `/api/profiles/${slug}/servers/probe`, { status: 'active' });
      if (created.status !== 201 || attached.status >= 300) throw new Error(`profile ${slug}: ${created.status}/${attached.status}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: child.url, child, sql, api, stop };
};
