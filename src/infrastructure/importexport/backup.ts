import { BACKUP_KDF, BackupCipher, BackupError, canonicalJson, type BackupKdf } from '../crypto/backup-cipher';
import type { SecretBox } from '../crypto/secret-box';
import { exportDocument, type ConfigDocument } from './export';
import { isPlainObject, type Untrusted } from './fields';
import type { ManagedEventStore } from '../eventstore/typeorm-event-store';

/**
 * A portable backup: the export document with every secret sealed under a passphrase instead of
 * masked, so that it restores a fresh data dir (which has another master key). It says what it
 * is in a top-level `backup` block:
 *
 *   "backup": {"format": "gatehouse-backup", "version": 1, "cipher": "aes-256-gcm",
 *              "kdf": {"name": "scrypt", "N": 131072, "r": 8, "p": 1, "salt": "<base64url>"},
 *              "verifier": "<base64url>", "mac": "<base64url>"}
 *
 * and a secret reads `{"sealed": "<base64url(iv ‖ tag ‖ ciphertext)>"}`, an object, so that no
 * reader that skips the `backup` block could take the ciphertext for the secret. The MAC covers
 * the canonical JSON of the whole document but `backup.mac` itself.
 */
export const BACKUP_FORMAT = 'gatehouse-backup';
const BACKUP_VERSION = 1;
const BACKUP_CIPHER = 'aes-256-gcm';

type BackupHeader = Readonly<{ format: string; version: number; cipher: string; kdf: BackupKdf; verifier: string; mac: string }>;
export type BackupDocument = ConfigDocument & { backup: BackupHeader };

/** Where a secret sits, bound to its ciphertext so that a sealed value cannot be moved to another field. */
const placeOf = (place: readonly string[]): string => JSON.stringify(place);

/** Where a user's password hash sits in a backup (apart from every server's places). */
const USER_HASH_PLACE = (userName: string): readonly string[] => ['gatehouse', 'users', userName, 'passwordHash'];

/** A document is a backup when it has a `backup` block; it is then never imported as a plain one. */
export const isBackupDocument = (input: unknown): input is Untrusted => isPlainObject(input) && input.backup !== undefined;

const withoutMac = (document: Untrusted, header: Untrusted): Untrusted => {
  const { mac: _mac, ...rest } = header;
  return { ...document, backup: rest };
};

/**
 * Exports the configuration with its secrets opened (with the data dir's keys) and sealed again
 * under `passphrase`. The plaintext never leaves this function but sealed.
 */
export const exportBackup = async (store: ManagedEventStore, secrets: SecretBox, passphrase: string, now: Date = new Date()): Promise<BackupDocument> => {
  const cipher = await BackupCipher.create(passphrase);
  const document = await exportDocument(
    store,
    (secret, place) => ({ sealed: cipher.seal(secrets.open(secret), placeOf(place)) }),
    now,
    (hash, userName) => ({ sealed: cipher.seal(hash, placeOf(USER_HASH_PLACE(userName))) }),
  );
  const header = { format: BACKUP_FORMAT, version: BACKUP_VERSION, cipher: BACKUP_CIPHER, kdf: cipher.kdf, verifier: cipher.verifier };
  const mac = cipher.mac(canonicalJson({ backup: header, ...document }));
  return { backup: { ...header, mac }, ...document };
};

const invalid = (message: string): BackupError => new BackupError('BACKUP_INVALID', `not a backup this version can read: ${message}`);

const readHeader = (input: Untrusted): BackupHeader => {
  const header = input.backup;
  if (!isPlainObject(header)) throw invalid('backup must be an object');
  if (header.format !== BACKUP_FORMAT) throw invalid(`backup.format must be "${BACKUP_FORMAT}"`);
  if (header.version !== BACKUP_VERSION) throw invalid(`backup.version must be ${BACKUP_VERSION}`);
  if (header.cipher !== BACKUP_CIPHER) throw invalid(`backup.cipher must be "${BACKUP_CIPHER}"`);
  const kdf = header.kdf;
  if (!isPlainObject(kdf) || kdf.name !== BACKUP_KDF) throw invalid(`backup.kdf.name must be "${BACKUP_KDF}"`);
  for (const key of ['N', 'r', 'p']) if (typeof kdf[key] !== 'number') throw invalid(`backup.kdf.${key} must be a number`);
  if (typeof kdf.salt !== 'string') throw invalid('backup.kdf.salt must be a string');
  if (typeof header.verifier !== 'string' || typeof header.mac !== 'string') throw invalid('backup.verifier and backup.mac must be strings');
  return header as unknown as BackupHeader;
};

const isSealed = (value: unknown): value is Readonly<{ sealed: string }> =>
  isPlainObject(value) && Object.keys(value).length === 1 && typeof value.sealed === 'string';

/**
 * A sealed value opened, also inside an env variable's `{value, secret}` form (a secret whose
 * name would not make it one); anything else is left to the parser.
 */
const openValue = (cipher: BackupCipher, value: unknown, place: string): unknown => {
  if (isSealed(value)) return cipher.open(value.sealed, place);
  if (isPlainObject(value) && isSealed(value.value)) return { ...value, value: cipher.open(value.value.sealed, place) };
  return value;
};

/** Each sealed value of one server entry opened; whatever else is there is left to the parser. */
const openServer = (cipher: BackupCipher, name: string, entry: unknown): unknown => {
  if (!isPlainObject(entry)) return entry;
  const opened: Record<string, unknown> = { ...entry };
  for (const field of ['env', 'headers']) {
    const map = entry[field];
    if (!isPlainObject(map)) continue;
    opened[field] = Object.fromEntries(
      Object.entries(map).map(([key, value]) => [key, openValue(cipher, value, placeOf([name, field, key]))]),
    );
  }
  const token = entry.bearerToken;
  if (isSealed(token)) opened.bearerToken = cipher.open(token.sealed, placeOf([name, 'bearerToken']));
  return opened;
};

/** Each user's sealed password hash opened; whatever else is there is left to the parser. */
const openUsers = (cipher: BackupCipher, document: Untrusted): Untrusted => {
  const section = document.gatehouse;
  if (!isPlainObject(section) || !Array.isArray(section.users)) return document;
  const users = section.users.map((user: unknown) =>
    isPlainObject(user) && typeof user.name === 'string' && isSealed(user.passwordHash) ? { ...user, passwordHash: cipher.open(user.passwordHash.sealed, placeOf(USER_HASH_PLACE(user.name))) } : user,
  );
  return { ...document, gatehouse: { ...section, users } };
};

/**
 * Checks a backup (the passphrase against its verifier, then its MAC) and returns the plain
 * document it holds, secrets in clear, for parseImportDocument. Throws BackupError: a wrong
 * passphrase, an altered document, or a format this version does not read.
 */
export const openBackup = async (input: Untrusted, passphrase: string): Promise<Untrusted> => {
  const header = readHeader(input);
  const cipher = await BackupCipher.open(passphrase, header.kdf, header.verifier);
  cipher.verifyMac(canonicalJson(withoutMac(input, header)), header.mac);
  const { backup: _backup, ...document } = input;
  const opened = openUsers(cipher, document);
  const servers = opened.mcpServers;
  if (!isPlainObject(servers)) return opened;
  return { ...opened, mcpServers: Object.fromEntries(Object.entries(servers).map(([name, entry]) => [name, openServer(cipher, name, entry)])) };
};
