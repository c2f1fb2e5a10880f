import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Keyring } from './keyring';
import { loadMasterKey, MASTER_KEY_FILE, parseMasterKey } from './master-key';

/** The new key file while a rotation is under way; its presence marks an interrupted one. */
export const PENDING_MASTER_KEY_FILE = `${MASTER_KEY_FILE}.new`;

export type MasterKeyRotation = Readonly<{
  /** How many data keys were rewrapped (the event log is not touched). */
  dataKeys: number;
  /** `file`: <dataDir>/secret.key now holds the new key. `env`: the caller must set GATEHOUSE_SECRET_KEY. */
  keySource: 'file' | 'env';
  keyFile: string | null;
  /** The rotation finished one that was interrupted after the database had been rewrapped. */
  completedInterrupted: boolean;
}>;

export type RotateMasterKeyOptions = Readonly<{
  /** The data keys of the open database. */
  keyring: Keyring;
  dataDir: string;
  /** GATEHOUSE_SECRET_KEY, if set: the current key comes from the environment, not the file. */
  currentKeyFromEnv: string | undefined;
  /** The new key (64 hex digits or base64); generated when absent, required with an env key. */
  newKey: string | undefined;
}>;

export class MasterKeyRotationError extends Error {
  override readonly name = 'MasterKeyRotationError';
}

const writeDurably = (path: string, content: string): void => {
  const fd = openSync(path, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

const renameDurably = (from: string, to: string): void => {
  renameSync(from, to);
  const directory = openSync(dirname(to), 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
};

/**
 * Rewraps every data key under a new master key. Secrets in events and read models are sealed
 * with the data keys, so nothing in the event log changes (envelope encryption).
 *
 * With a key file the order makes a crash at any point recoverable: the new key is written
 * to `secret.key.new` (0600, fsync) first, the data keys are rewrapped in one transaction,
 * then the new file replaces `secret.key`. Running the rotation again after a crash finishes
 * it (the database already opens with `secret.key.new`) or starts over (it does not).
 */
export const rotateMasterKey = async (options: RotateMasterKeyOptions): Promise<MasterKeyRotation> => {
  const { keyring } = options;
  const fromEnv = options.currentKeyFromEnv !== undefined && options.currentKeyFromEnv !== '';
  const keyFile = join(options.dataDir, MASTER_KEY_FILE);
  const pending = join(options.dataDir, PENDING_MASTER_KEY_FILE);

  if (!fromEnv && existsSync(pending)) {
    const pendingKey = parseMasterKey(readFileSync(pending, 'utf8'));
    if (await keyring.opens(pendingKey)) {
      renameDurably(pending, keyFile);
      return { dataKeys: 0, keySource: 'file', keyFile, completedInterrupted: true };
    }
    rmSync(pending, { force: true });
  }

  const oldKey = loadMasterKey(options.dataDir, options.currentKeyFromEnv);
  if (!(await keyring.opens(oldKey))) {
    throw new MasterKeyRotationError('the current master key does not open the stored data keys; nothing was changed');
  }
  if (fromEnv && options.newKey === undefined) {
    throw new MasterKeyRotationError('GATEHOUSE_SECRET_KEY is set: give the new key in GATEHOUSE_NEW_SECRET_KEY (64 hex digits or base64 of 32 bytes)');
  }
  const newKey = options.newKey === undefined ? randomBytes(32) : parseMasterKey(options.newKey);
  if (newKey.equals(oldKey)) throw new MasterKeyRotationError('the new master key is the current one');

  if (fromEnv) {
    return { dataKeys: await keyring.rotateMasterKey(oldKey, newKey), keySource: 'env', keyFile: null, completedInterrupted: false };
  }
  writeDurably(pending, `${newKey.toString('base64')}\n`);
  const dataKeys = await keyring.rotateMasterKey(oldKey, newKey);
  renameDurably(pending, keyFile);
  return { dataKeys, keySource: 'file', keyFile, completedInterrupted: false };
};
