import { BACKUP_SCRYPT, BackupCipher, BackupError, canonicalJson, checkScryptParams } from './backup-cipher';

/** The smallest cost a backup may name: these tests check the construction, not the cost. */
const FAST = { N: 2 ** 14, r: 8, p: 1 };
const PASSPHRASE = 'correct horse battery staple';
const PLACE = '["files","env","API_KEY"]';

const flipLastChar = (text: string): string => text.slice(0, -1) + (text.endsWith('A') ? 'B' : 'A');

const codeOf = async (promise: Promise<unknown>): Promise<string | undefined> =>
  promise.then(
    () => undefined,
    (error: unknown) => (error instanceof BackupError ? error.code : String(error)),
  );

describe('BackupCipher', () => {
  let cipher: BackupCipher;
  beforeAll(async () => {
    cipher = await BackupCipher.create(PASSPHRASE, FAST);
  });

  describe('given a backup sealed under a passphrase', () => {
    it('opens with the same passphrase: the same keys, every secret round-trips', async () => {
      const sealed = cipher.seal('sk-live-0123456789', PLACE);
      const reopened = await BackupCipher.open(PASSPHRASE, cipher.kdf, cipher.verifier);
      expect(reopened.open(sealed, PLACE)).toBe('sk-live-0123456789');
      expect(reopened.mac('{"a":1}')).toBe(cipher.mac('{"a":1}'));
    });

    it('seals the same secret differently each time (random IV), and never in clear', () => {
      const first = cipher.seal('sk-live-0123456789', PLACE);
      expect(cipher.seal('sk-live-0123456789', PLACE)).not.toBe(first);
      expect(Buffer.from(first, 'base64url').toString('latin1')).not.toContain('sk-live');
    });

    it('writes its parameters and a 16-byte random salt', async () => {
      expect(cipher.kdf).toEqual({ name: 'scrypt', ...FAST, salt: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
      const other = await BackupCipher.create(PASSPHRASE, FAST);
      expect(other.kdf.salt).not.toBe(cipher.kdf.salt);
      expect(other.verifier).not.toBe(cipher.verifier);
    });

    it('takes the passphrase in any Unicode normalisation form', async () => {
      const composed = await BackupCipher.create('passphrase-caf\u00e9', FAST);
      await expect(BackupCipher.open('passphrase-cafe\u0301', composed.kdf, composed.verifier)).resolves.toBeInstanceOf(BackupCipher);
    });
  });

  describe('when it is opened wrongly', () => {
    it('refuses a wrong passphrase by its verifier', async () => {
      expect(await codeOf(BackupCipher.open('correct horse battery stapler', cipher.kdf, cipher.verifier))).toBe('BACKUP_PASSPHRASE_WRONG');
    });

    it('refuses an altered salt or altered parameters (other keys: the verifier does not match)', async () => {
      const salt = Buffer.from(cipher.kdf.salt, 'base64url');
      salt[0] ^= 1;
      expect(await codeOf(BackupCipher.open(PASSPHRASE, { ...cipher.kdf, salt: salt.toString('base64url') }, cipher.verifier))).toBe('BACKUP_PASSPHRASE_WRONG');
      expect(await codeOf(BackupCipher.open(PASSPHRASE, { ...cipher.kdf, r: 4 }, cipher.verifier))).toBe('BACKUP_PASSPHRASE_WRONG');
    });

    it('refuses a tampered ciphertext, and a sealed value moved to another place', () => {
      const sealed = cipher.seal('sk-live-0123456789', PLACE);
      const bytes = Buffer.from(sealed, 'base64url');
      bytes[bytes.length - 1] ^= 1;
      expect(() => cipher.open(bytes.toString('base64url'), PLACE)).toThrow(expect.objectContaining({ code: 'BACKUP_TAMPERED' }));
      expect(() => cipher.open(sealed, '["files","env","OTHER"]')).toThrow(expect.objectContaining({ code: 'BACKUP_TAMPERED' }));
      expect(() => cipher.open('', PLACE)).toThrow(expect.objectContaining({ code: 'BACKUP_TAMPERED' }));
    });

    it('refuses a document whose MAC does not match', () => {
      const mac = cipher.mac('{"a":1}');
      expect(() => cipher.verifyMac('{"a":1}', mac)).not.toThrow();
      expect(() => cipher.verifyMac('{"a":2}', mac)).toThrow(expect.objectContaining({ code: 'BACKUP_TAMPERED' }));
      expect(() => cipher.verifyMac('{"a":1}', flipLastChar(mac))).toThrow(expect.objectContaining({ code: 'BACKUP_TAMPERED' }));
      expect(() => cipher.verifyMac('{"a":1}', '')).toThrow(expect.objectContaining({ code: 'BACKUP_TAMPERED' }));
    });
  });

  describe('parameters', () => {
    it('refuses a passphrase shorter than 12 characters', async () => {
      expect(await codeOf(BackupCipher.create('elevenchars', FAST))).toBe('BACKUP_INVALID');
      await expect(BackupCipher.create('twelve chars', FAST)).resolves.toBeInstanceOf(BackupCipher);
    });

    it('uses N = 2^17, r = 8, p = 1 by default', () => {
      expect(BACKUP_SCRYPT).toEqual({ N: 131072, r: 8, p: 1 });
    });

    it.each([
      ['N not a power of two', { N: 100_000, r: 8, p: 1 }],
      ['N too small', { N: 2 ** 10, r: 8, p: 1 }],
      ['N too large (memory a forged file could demand)', { N: 2 ** 24, r: 8, p: 1 }],
      ['r out of range', { N: 2 ** 14, r: 0, p: 1 }],
      ['p out of range', { N: 2 ** 14, r: 8, p: 64 }],
    ])('refuses %s before deriving anything', (_, params) => {
      expect(() => checkScryptParams(params)).toThrow(expect.objectContaining({ code: 'BACKUP_INVALID' }));
    });

    it('refuses a salt that is not 16 bytes', async () => {
      expect(await codeOf(BackupCipher.open(PASSPHRASE, { ...cipher.kdf, salt: 'c2hvcnQ' }, cipher.verifier))).toBe('BACKUP_INVALID');
    });
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, so key order does not change the MAC', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('escapes strings as JSON does', () => {
    expect(canonicalJson({ 'k"': 'v\n\u2028' })).toBe(JSON.stringify({ 'k"': 'v\n\u2028' }));
  });
});
