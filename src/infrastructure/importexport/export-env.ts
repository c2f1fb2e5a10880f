import { type EnvMap, isCredentialName, isPlainEnvValue, isSecretByDefault, isSecretEnvName } from '../../domain/server';
import type { SealedMap, SealedSecret } from '../../domain/shared';

/** A secret is written as the export's writer makes it: a mask, or a sealed value in a backup. */
export type ExportedEnvValue = unknown;

/**
 * A server's env as the export writes it: plain values in clear, secrets as `writeSecret`
 * makes them (masked, which an import of the document keeps, or sealed in a backup). A value is written as `{value, secret}` when importing the bare
 * string would decide its secrecy otherwise, so that the document round-trips: a plain value
 * the rule would call secret, or a secret whose name does not say so (the rule cannot look at
 * a masked value).
 */
export const exportedEnv = (env: EnvMap, writeSecret: (secret: SealedSecret, name: string) => unknown): Record<string, ExportedEnvValue> =>
  Object.fromEntries(
    Object.entries(env).map(([name, value]): [string, ExportedEnvValue] => {
      if (isPlainEnvValue(value)) return [name, isSecretByDefault(name, value.plain) ? { value: value.plain, secret: false } : value.plain];
      const written = writeSecret(value, name);
      return [name, isSecretEnvName(name) ? written : { value: written, secret: true }];
    }),
  );

/**
 * A server's headers as the export writes them: a secret header whose name does not say so is
 * written `{value, secret: true}`, so that importing the document keeps it off per-user
 * connections (the rule cannot look at a masked value); the others as bare values.
 */
export const exportedHeaders = (
  headers: SealedMap,
  secretHeaders: readonly string[],
  writeSecret: (secret: SealedSecret, name: string) => unknown,
): Record<string, ExportedEnvValue> => {
  const declared = new Set(secretHeaders);
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]): [string, ExportedEnvValue] => {
      const written = writeSecret(value, name);
      return [name, declared.has(name) && !isCredentialName(name) ? { value: written, secret: true } : written];
    }),
  );
};
