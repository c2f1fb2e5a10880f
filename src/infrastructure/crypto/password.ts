import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt (memory-hard) with N = 2^15, r = 8, p = 1: 32 MiB and tens of milliseconds per hash,
 * OWASP's floor for scrypt. The parameters are stored with each hash, so raising them later
 * leaves existing hashes readable.
 */
const COST = { N: 32_768, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** The most memory a stored hash may ask for; a hash asking for more is refused, not run. */
const MAX_MEMORY = 256 * 1024 * 1024;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

const derive = (password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, { ...options, maxmem: MAX_MEMORY }, (error, key) => (error ? reject(error) : resolve(key)));
  });

/** `scrypt$N$r$p$salt$key` (salt and key base64url). */
export const hashPassword = async (password: string): Promise<string> => {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, KEY_LENGTH, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
};

type Parsed = { N: number; r: number; p: number; salt: Buffer; key: Buffer };

const parse = (stored: string): Parsed | null => {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every(Number.isSafeInteger) || 128 * N * r > MAX_MEMORY) return null;
  return { N, r, p, salt: Buffer.from(parts[4], 'base64url'), key: Buffer.from(parts[5], 'base64url') };
};

/** A hash of no password anybody has, verified against when a name is unknown, so that an unknown name costs what a wrong password does. */
let decoy: Promise<string> | undefined;
const decoyHash = (): Promise<string> => (decoy ??= hashPassword(randomBytes(32).toString('base64url')));

/** Whether `password` is the one behind `stored`; `null` (no such user) spends the same time and answers false. */
export const verifyPassword = async (password: string, stored: string | null): Promise<boolean> => {
  const parsed = parse(stored ?? (await decoyHash()));
  if (parsed === null) return false;
  const key = await derive(password.slice(0, MAX_PASSWORD_LENGTH), parsed.salt, parsed.key.length, { N: parsed.N, r: parsed.r, p: parsed.p });
  return timingSafeEqual(key, parsed.key) && stored !== null;
};

/** What is wrong with a new password, or null. Length is what matters (NIST 800-63B); no composition rules. */
export const passwordProblem = (password: string): string | null =>
  password.length < MIN_PASSWORD_LENGTH
    ? `the password must have at least ${MIN_PASSWORD_LENGTH} characters`
    : password.length > MAX_PASSWORD_LENGTH
      ? `the password must have at most ${MAX_PASSWORD_LENGTH} characters`
      : null;
