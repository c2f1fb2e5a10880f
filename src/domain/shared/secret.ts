/**
 * A secret as it travels through commands, events and read models: never the plaintext.
 * `enc` is the ciphertext (see infrastructure/crypto), `fp` a keyed fingerprint of the
 * plaintext so that deciders can tell "same value" from "changed value" without decrypting,
 * and `hint` the last characters shown in masks (empty for short secrets).
 */
export type SealedSecret = Readonly<{ enc: string; fp: string; hint: string }>;

export type SealedMap = Readonly<Record<string, SealedSecret>>;

export const sameSecret = (a: SealedSecret | null, b: SealedSecret | null): boolean =>
  a === b || (a !== null && b !== null && a.fp === b.fp);

export const sameSealedMap = (a: SealedMap, b: SealedMap): boolean => {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && sameSecret(a[key], b[key]))
  );
};
