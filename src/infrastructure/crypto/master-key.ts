import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MASTER_KEY_FILE = 'secret.key';

/**
 * Parses a 256-bit key given as 64 hex digits or as base64/base64url of 32 bytes.
 * Anything else is refused rather than stretched: a weak passphrase must not pass for a key.
 */
export const parseMasterKey = (text: string): Buffer => {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const decoded = Buffer.from(trimmed, 'base64');
  if (decoded.length === 32 && /^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return decoded;
  throw new Error('GATEHOUSE_SECRET_KEY must be 32 bytes, as 64 hex digits or base64');
};

/**
 * The master key wraps the data keys. It comes from GATEHOUSE_SECRET_KEY or, when that is
 * unset, from `<dataDir>/secret.key`, created on first use with mode 0600.
 */
export const loadMasterKey = (dataDir: string, fromEnv: string | undefined): Buffer => {
  if (fromEnv !== undefined && fromEnv !== '') return parseMasterKey(fromEnv);
  const path = join(dataDir, MASTER_KEY_FILE);
  if (existsSync(path)) return parseMasterKey(readFileSync(path, 'utf8'));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return key;
};
