import { createECDH } from 'node:crypto';
import type { SecretBox } from '../crypto';

/** The order of the P-256 group: a private key is an integer in [1, n - 1]. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** The algorithm of the provider's one signing key (also what a client's ID tokens are signed with). */
export const SIGNING_ALG = 'ES256';

export type ProviderKeys = Readonly<{
  /** A JWK set with the private key: for oidc-provider only (it publishes the public part at /oauth/jwks). */
  jwks: { keys: Array<Record<string, string>> };
  /** Sign the interaction and session cookies. */
  cookieKeys: string[];
}>;

/**
 * The authorization server's keys, derived from the store's data key (SecretBox.deriveKey): every
 * instance on one database with one master key has the same, so a sign-in that starts on one
 * instance (its interaction cookie) finishes on another, and the JWKS is the same wherever it is
 * read. Nothing is stored; a process that cannot open the data keys cannot make them.
 */
export const providerKeys = (secrets: SecretBox): ProviderKeys => {
  // 48 bytes reduced modulo n - 1 (plus one): a uniform private key, bias below 2^-128 (FIPS 186-5 A.2.1).
  const seed = BigInt(`0x${secrets.deriveKey('oauth-server signing key P-256', 48).toString('hex')}`);
  const d = Buffer.from(((seed % (P256_ORDER - 1n)) + 1n).toString(16).padStart(64, '0'), 'hex');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey(); // 0x04 ‖ x ‖ y
  const key = { kty: 'EC', crv: 'P-256', d: d.toString('base64url'), x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url'), use: 'sig', alg: SIGNING_ALG };
  return { jwks: { keys: [key] }, cookieKeys: [secrets.deriveKey('oauth-server cookies').toString('base64url')] };
};
