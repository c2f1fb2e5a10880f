import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin.token';

export type AdminToken = Readonly<{ token: string; source: 'env' | 'file'; path: string | null; created: boolean }>;

/** The admin token from GATEHOUSE_ADMIN_TOKEN, else from `<dataDir>/admin.token` (created 0600). */
export const resolveAdminToken = (dataDir: string, fromEnv: string | null): AdminToken => {
  if (fromEnv !== null) return { token: fromEnv, source: 'env', path: null, created: false };
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), source: 'file', path, created: false };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = `gha_${randomBytes(32).toString('base64url')}`;
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { token, source: 'file', path, created: true };
};

/** Constant-time comparison (over digests, so lengths do not leak either). */
export const tokensMatch = (presented: string, expected: string): boolean =>
  timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());
