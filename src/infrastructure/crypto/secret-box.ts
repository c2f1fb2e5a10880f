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
