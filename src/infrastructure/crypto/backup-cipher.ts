import { createHmac, hkdfSync, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { gcmOpen, gcmSeal } from './aead';

/**
 * The keys of a portable backup, derived from a passphrase: scrypt (memory-hard, so that a
 * stolen backup costs an attacker memory as well as time per guess) stretches the passphrase
 * with a random salt, and HKDF splits the result into three independent keys: one seals each
 * secret (AES-256-GCM), one MACs the whole document (HMAC-SHA256), one makes the verifier that
 * tells a wrong passphrase apart from an altered document.
 */

export const BACKUP_KDF = 'scrypt';
/** 2^17 × r 8 needs 128 MiB and about a third of a second: a guess costs the same. */
export const BACKUP_SCRYPT = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });
export const MIN_BACKUP_PASSPHRASE_LENGTH = 12;
const SALT_BYTES = 16;
/**
 * What a document may ask for. The parameters come from the file, so they are bounded: a forged
 * backup must not make `import` allocate gigabytes or spin for minutes before the MAC fails.
 */
const MIN_LOG2_N = 14;
const MAX_LOG2_N = 18;
const MAX_R = 8;
const MAX_P = 4;

export type ScryptParams = Readonly<{ N: number; r: number; p: number }>;
export type BackupKdf = Readonly<{ name: typeof BACKUP_KDF; salt: string } & ScryptParams>;

/** The backup cannot be opened: `code` says why, the message says what to do. */
export class BackupError extends Error {
  override readonly name = 'BackupError';
  constructor(
    readonly code: 'BACKUP_INVALID' | 'BACKUP_PASSPHRASE_WRONG' | 'BACKUP_TAMPERED',
    message: string,
  ) {
    super(message);
  }
}

const VERIFIER_INPUT = 'gatehouse backup passphrase verifier';

const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

/** Refuses parameters outside the bounds above with BACKUP_INVALID. */
export const checkScryptParams = (params: ScryptParams): void => {
  const { N, r, p } = params;
  const log2N = Math.log2(N);
  if (!isPowerOfTwo(N) || log2N < MIN_LOG2_N || log2N > MAX_LOG2_N) {
    throw new BackupError('BACKUP_INVALID', `backup.kdf.N must be a power of two from 2^${MIN_LOG2_N} to 2^${MAX_LOG2_N}`);
  }
  if (!Number.isInteger(r) || r < 1 || r > MAX_R) throw new BackupError('BACKUP_INVALID', `backup.kdf.r must be an integer from 1 to ${MAX_R}`);
  if (!Number.isInteger(p) || p < 1 || p > MAX_P) throw new BackupError('BACKUP_INVALID', `backup.kdf.p must be an integer from 1 to ${MAX_P}`);
};

const deriveRoot = (passphrase: string, salt: Buffer, params: ScryptParams): Promise<Buffer> => {
  // scrypt needs 128·r·(N + p + 2) bytes (128 MiB by default); Node refuses more than 32 MiB unless maxmem allows it.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.r * (params.N + params.p + 2) + 1024 * 1024 };
  // NFC: the same passphrase typed on another system must give the same key.
  return new Promise((resolve, reject) =>
    scrypt(passphrase.normalize('NFC'), salt, 32, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
};

const subKey = (root: Buffer, salt: Buffer, purpose: string): Buffer => Buffer.from(hkdfSync('sha256', root, salt, `gatehouse backup ${purpose}`, 32));

/** Seals and opens the secrets of one backup, and MACs it; made by `create` (export) or `open` (import). */
export class BackupCipher {
  private constructor(
    readonly kdf: BackupKdf,
    private readonly sealKey: Buffer,
    private readonly macKey: Buffer,
    readonly verifier: string,
  ) {}

  private static async derive(passphrase: string, salt: Buffer, params: ScryptParams): Promise<BackupCipher> {
    const root = await deriveRoot(passphrase, salt, params);
    const verifierKey = subKey(root, salt, 'verifier');
    const verifier = createHmac('sha256', verifierKey).update(VERIFIER_INPUT).digest('base64url');
    const kdf: BackupKdf = { name: BACKUP_KDF, N: params.N, r: params.r, p: params.p, salt: salt.toString('base64url') };
    return new BackupCipher(kdf, subKey(root, salt, 'seal'), subKey(root, salt, 'mac'), verifier);
  }

  /** A new backup: a random salt; the passphrase must have at least MIN_BACKUP_PASSPHRASE_LENGTH characters. */
  static async create(passphrase: string, params: ScryptParams = BACKUP_SCRYPT): Promise<BackupCipher> {
    if ([...passphrase].length < MIN_BACKUP_PASSPHRASE_LENGTH) {
      throw new BackupError('BACKUP_INVALID', `the backup passphrase must have at least ${MIN_BACKUP_PASSPHRASE_LENGTH} characters`);
    }
    checkScryptParams(params);
    return BackupCipher.derive(passphrase, randomBytes(SALT_BYTES), params);
  }

  /** The keys of an existing backup; throws BACKUP_PASSPHRASE_WRONG when the verifier does not match. */
  static async open(passphrase: string, kdf: BackupKdf, verifier: string): Promise<BackupCipher> {
    checkScryptParams(kdf);
    const salt = Buffer.from(kdf.salt, 'base64url');
    if (salt.length !== SALT_BYTES) throw new BackupError('BACKUP_INVALID', `backup.kdf.salt must be ${SALT_BYTES} bytes (base64url)`);
    const cipher = await BackupCipher.derive(passphrase, salt, kdf);
    if (!equalText(cipher.verifier, verifier)) {
      throw new BackupError('BACKUP_PASSPHRASE_WRONG', 'the passphrase does not open this backup (a wrong passphrase, or the backup header was altered); nothing was imported');
    }
    return cipher;
  }

  /** AES-256-GCM with a random 96-bit IV; `context` (where the value sits) is bound as associated data. */
  seal(plaintext: string, context: string): string {
    return gcmSeal(this.sealKey, Buffer.from(plaintext, 'utf8'), context).toString('base64url');
  }

  open(sealed: string, context: string): string {
    try {
      return gcmOpen(this.sealKey, Buffer.from(sealed, 'base64url'), context).toString('utf8');
    } catch {
      throw new BackupError('BACKUP_TAMPERED', `the secret at ${context} does not decrypt: the backup was altered; nothing was imported`);
    }
  }

  /** HMAC-SHA256 of a document's canonical text. */
  mac(canonical: string): string {
    return createHmac('sha256', this.macKey).update(canonical, 'utf8').digest('base64url');
  }

  verifyMac(canonical: string, mac: string): void {
    if (!equalText(this.mac(canonical), mac)) {
      throw new BackupError('BACKUP_TAMPERED', 'the backup was altered after it was written (its MAC does not match); nothing was imported');
    }
  }
}

/** Constant-time comparison of two MACs as text; different lengths are simply unequal. */
const equalText = (a: string, b: string): boolean => {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
};

/**
 * JSON with object keys sorted at every level: what is MACed, so that the MAC holds whatever
 * order a reader and a writer keep keys in.
 */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
};
