import { type SealedSecret, sameSecret } from '../shared';

/**
 * A server's environment variable is either a secret (sealed, like a header or a bearer token)
 * or a plain value kept as it is (`LOG_LEVEL: "debug"`), which the API shows and the redactor
 * never searches for. Events recorded before plain values existed hold sealed values only: they
 * still mean "every variable is secret".
 */
export type PlainEnvValue = Readonly<{ plain: string }>;
export type EnvValue = SealedSecret | PlainEnvValue;
export type EnvMap = Readonly<Record<string, EnvValue>>;

/**
 * An env value as a user writes it (REST, import): a string, secret or not as the automatic
 * rule decides (isSecretByDefault), or `{value, secret}` to decide it explicitly.
 */
export type EnvInput = string | Readonly<{ value: string; secret: boolean }>;

export const isPlainEnvValue = (value: EnvValue): value is PlainEnvValue =>
  typeof (value as { plain?: unknown }).plain === 'string';

/** Secrets compare by fingerprint, plain values by value; a variable that changes secrecy changes. */
export const sameEnvValue = (a: EnvValue, b: EnvValue): boolean => {
  if (isPlainEnvValue(a) || isPlainEnvValue(b)) return isPlainEnvValue(a) && isPlainEnvValue(b) && a.plain === b.plain;
  return sameSecret(a, b);
};

export const sameEnvMap = (a: EnvMap, b: EnvMap): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && sameEnvValue(a[key], b[key]));
};

/** The names of the secret variables, in the map's order. */
export const secretEnvNames = (env: EnvMap): string[] => Object.keys(env).filter((name) => !isPlainEnvValue(env[name]));
