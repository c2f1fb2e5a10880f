import { loadConfig } from '../../src/infrastructure/config/config';
import { startGatehouse, type RunningGatehouse } from '../../src/api/gatehouse';
import { StoredRows } from './sqlite';
import { makeTempDir, TEST_SECRET_KEY } from './temp-dir';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export type TestGatehouse = RunningGatehouse & {
  dataDir: string;
  /** What is stored, read with a connection of the test's own (read-only). */
  sql: StoredRows;
  /** fetch against the API with the admin token; JSON in, parsed JSON (or null) out. */
  api: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiResponse>;
  stop: () => Promise<void>;
};

export type ApiResponse = { status: number; headers: Headers; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience: response bodies are asserted field by field

/** The real gateway on a free loopback port with a fresh data directory. */
export const startTestGatehouse = async (
  env: Record<string, string> = {},
  /** Where JSON log lines go (e.g. to check that none carries a secret); none: not logged. */
  logDestination?: { write: (line: string) => void },
): Promise<TestGatehouse> => {
  const dir = makeTempDir();
  const config = loadConfig({
    GATEHOUSE_DATA_DIR: dir.path,
    GATEHOUSE_PORT: '0',
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
    ...env,
  });
  const running = await startGatehouse({ config, logDestination });
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> => {
    const response = await fetch(`${running.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };
  const sql = new StoredRows(config.database);
  return {
    ...running,
    dataDir: dir.path,
    sql,
    api,
    stop: async () => {
      sql.close();
      await running.close();
      dir.cleanup();
    },
  };
};
