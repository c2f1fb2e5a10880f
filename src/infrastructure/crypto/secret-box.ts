import { createHmac, hkdfSync } from 'node:crypto';
import type { SealedSecret } from '../../domain/shared';
import { gcmOpen, gcmSeal } from './aead';
import type { DataKey } from './data-key';

const FORMAT = 'v1';
/** Secrets shorter than this show no characters at all in masks. */
const HINT_MIN_LENGTH = 12;
const HINT_LENGTH = 4;

export const MASK = '••••';

export class SecretDecryptionError extends Error {
  override readonly name = 'SecretDecryptionError';
}

/**
 * Seals secrets with the active data key (envelope encryption: data keys are wrapped by the
 * master key and stored outside the event log, so the master key can rotate without
 * rewriting events). Ciphertext format: `v1.<dataKeyId>.<base64url(iv‖tag‖ct)>`.
 */
export class SecretBox {
  private readonly fingerprintKeys = new Map<string, Buffer>();
  private readonly tokenKeys = new Map<string, Buffer>();

  constructor(
    private readonly activeKey: DataKey,
    private readonly keysById: ReadonlyMap<string, DataKey>,
  ) {}

  seal(plaintext: string): SealedSecret {
    const sealed = gcmSeal(this.activeKey.key, Buffer.from(plaintext, 'utf8'), this.activeKey.id);
    return {
      enc: `${FORMAT}.${this.activeKey.id}.${sealed.toString('base64url')}`,
      fp: this.fingerprint(plaintext),
      hint: plaintext.length >= HINT_MIN_LENGTH ? plaintext.slice(-HINT_LENGTH) : '',
    };
  }

  open(secret: SealedSecret): string {
    const [format, keyId, body] = secret.enc.split('.');
    const dataKey = keyId === undefined ? undefined : this.keysById.get(keyId);
    if (format !== FORMAT || dataKey === undefined || body === undefined) {
      throw new SecretDecryptionError('secret was sealed with an unknown key or format');
    }
    try {
      return gcmOpen(dataKey.key, Buffer.from(body, 'base64url'), dataKey.id).toString('utf8');
    } catch {
      throw new SecretDecryptionError('secret could not be decrypted (wrong key or tampered data)');
    }
  }

  /**
   * Seals a short value the gateway hands out and must later recognise (a session id): the
   * active data key's id, then AES-256-GCM under a key derived for `purpose`, base64url. Only a
   * process that opens this database's data keys can make or read one, and a token made for one
   * purpose opens for no other.
   */
  sealToken(plaintext: string, purpose: string): string {
    const sealed = gcmSeal(this.tokenKey(this.activeKey, purpose), Buffer.from(plaintext, 'utf8'), purpose);
    return `${this.activeKey.id}.${sealed.toString('base64url')}`;
  }

  /** The plaintext of a token `sealToken` made for `purpose`; null for anything else (forged, altered, unknown key). */
  openToken(token: string, purpose: string): string | null {
    const dot = token.indexOf('.');
    const dataKey = dot < 0 ? undefined : this.keysById.get(token.slice(0, dot));
    if (dataKey === undefined) return null;
    const body = token.slice(dot + 1);
    const sealed = Buffer.from(body, 'base64url');
    // The decoder skips what it cannot use (a stray character, spare bits): only the one spelling of the bytes is the token.
    if (sealed.toString('base64url') !== body) return null;
    try {
      return gcmOpen(this.tokenKey(dataKey, purpose), sealed, purpose).toString('utf8');
    } catch {
      return null;
    }
  }

  private tokenKey(dataKey: DataKey, purpose: string): Buffer {
    const name = `${dataKey.id} ${purpose}`;
    const cached = this.tokenKeys.get(name);
    if (cached) return cached;
    const derived = Buffer.from(hkdfSync('sha256', dataKey.key, Buffer.alloc(0), `gatehouse token ${purpose}`, 32));
    this.tokenKeys.set(name, derived);
    return derived;
  }

  /**
   * Key material for one named `purpose` (HKDF-SHA256 from the active data key): the same on
   * every process that opens this database's data keys with its master key, so instances that
   * share a store can share keys (cookie signing, a signing key) without storing them.
   */
  deriveKey(purpose: string, length = 32): Buffer {
    return Buffer.from(hkdfSync('sha256', this.activeKey.key, Buffer.alloc(0), `gatehouse key ${purpose}`, length));
  }

  /** A keyed fingerprint: equal plaintexts give equal fingerprints, and nothing else is learned. */
  fingerprint(plaintext: string): string {
    return createHmac('sha256', this.fingerprintKey()).update(plaintext, 'utf8').digest('base64url').slice(0, 22);
  }

  private fingerprintKey(): Buffer {
    const cached = this.fingerprintKeys.get(this.activeKey.id);
    if (cached) return cached;
    const derived = Buffer.from(hkdfSync('sha256', this.activeKey.key, Buffer.alloc(0), 'gatehouse fingerprint', 32));
    this.fingerprintKeys.set(this.activeKey.id, derived);
    return derived;
  }
}

export const mask = (secret: SealedSecret | null): string | null =>
  secret === null ? null : `${MASK}${secret.hint}`;

export const maskMap = (secrets: Readonly<Record<string, SealedSecret>>): Record<string, string> =>
  Object.fromEntries(Object.entries(secrets).map(([name, secret]) => [name, `${MASK}${secret.hint}`]));

/** Seals every value of a plaintext map (env, headers) before it enters a command. */
export const sealMap = (secrets: SecretBox, plain: Readonly<Record<string, string>> | undefined): Record<string, SealedSecret> =>
  Object.fromEntries(Object.entries(plain ?? {}).map(([key, value]) => [key, secrets.seal(value)]));

/** Opens every value of a sealed map, in memory only (to connect an upstream, to redact). */
export const openMap = (secrets: SecretBox, sealed: Readonly<Record<string, SealedSecret>>): Record<string, string> =>
  Object.fromEntries(Object.entries(sealed).map(([key, value]) => [key, secrets.open(value)]));
