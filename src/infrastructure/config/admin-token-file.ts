import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ADMIN_TOKEN_FILE, type AdminToken } from './admin-token';

/** 256 random bits behind a prefix that says what the token is (`gha_`: Gatehouse admin). */
export const generateAdminToken = (): string => `gha_${randomBytes(32).toString('base64url')}`;

/** Writes `content` to `path` with mode 0600 through a temporary file and a rename: never half a file. */
export const writeFileAtomically = (path: string, content: string): void => {
  const temporary = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  // The rename itself must survive a crash, or the old token could come back.
  const directory = openSync(dirname(path), 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
};

/** Replaces `<dataDir>/admin.token` with a new random token (creating the file if need be). */
export const rotateAdminTokenFile = (dataDir: string): { path: string; token: string } => {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  const token = generateAdminToken();
  writeFileAtomically(path, `${token}\n`);
  return { path, token };
};

/**
 * The admin token a running server compares with. A token from the environment is fixed; a
 * token file is re-read when it changes (mtime or size), so `gatehouse admin-token rotate`
 * takes effect at the next request, without a restart. A file that is missing or empty (an
 * editor mid-save) keeps the last token rather than locking the administrator out.
 */
export const adminTokenSource = (initial: AdminToken): (() => string) => {
  if (initial.path === null) return () => initial.token;
  const path = initial.path;
  let token = initial.token;
  let seen = '';
  return () => {
    try {
      const stat = statSync(path);
      const signature = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
      if (signature !== seen) {
        const read = readFileSync(path, 'utf8').trim();
        seen = signature;
        if (read !== '') token = read;
      }
    } catch {
      // keep the last token: see above
    }
    return token;
  };
};
