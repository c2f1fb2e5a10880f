import { randomBytes } from 'node:crypto';
import type { SecretBox } from '../crypto';

/** What a session id says about its session, once opened: nothing in it can be chosen by a client. */
export type SessionIdentity = Readonly<{
  /** Random, and the key of the session's stored record. */
  nonce: string;
  profileId: string;
  /** The API key that opened it (null: an open profile). */
  keyId: string | null;
}>;

const PURPOSE = 'mcp session id';
const PREFIX = 'gh1.';
/** Far above what `issue` makes (~130 characters): anything longer is not one of ours, and is not decrypted. */
const MAX_LENGTH = 512;

const isIdentity = (value: unknown): value is { n: string; p: string; k: string | null } => {
  const { n, p, k } = (value ?? {}) as Record<string, unknown>;
  return typeof n === 'string' && n.length > 0 && typeof p === 'string' && p.length > 0 && (k === null || typeof k === 'string');
};

/**
 * Streamable HTTP session ids that describe their session: the profile and the key it belongs
 * to and the nonce of its stored record, sealed (AES-256-GCM) with a key derived from the
 * gateway's data key. Any instance that shares the database can read one after a restart or
 * a move between instances; a forged or altered id opens to nothing.
 */
export class SessionIds {
  constructor(private readonly secrets: SecretBox) {}

  issue(profileId: string, keyId: string | null): Readonly<{ id: string; identity: SessionIdentity }> {
    const identity: SessionIdentity = { nonce: randomBytes(16).toString('base64url'), profileId, keyId };
    const sealed = this.secrets.sealToken(JSON.stringify({ n: identity.nonce, p: profileId, k: keyId }), PURPOSE);
    return { id: `${PREFIX}${sealed}`, identity };
  }

  /** The identity an id carries; null for anything `issue` did not make with this database's keys. */
  read(id: string): SessionIdentity | null {
    if (!id.startsWith(PREFIX) || id.length > MAX_LENGTH) return null;
    const plaintext = this.secrets.openToken(id.slice(PREFIX.length), PURPOSE);
    if (plaintext === null) return null;
    try {
      const parsed: unknown = JSON.parse(plaintext);
      return isIdentity(parsed) ? { nonce: parsed.n, profileId: parsed.p, keyId: parsed.k } : null;
    } catch {
      return null;
    }
  }
}
