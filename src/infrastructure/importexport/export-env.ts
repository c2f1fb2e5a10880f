import { type EnvMap, isPlainEnvValue, isSecretByDefault, isSecretEnvName } from '../../domain/server';
import { mask } from '../crypto';

export type ExportedEnvValue = string | { value: string; secret: boolean };

/**
 * A server's env as the export writes it: plain values in clear, secrets masked (an import of
 * the document keeps them). A value is written as `{value, secret}` when importing the bare
 * string would decide its secrecy otherwise, so that the document round-trips: a plain value
 * the rule would call secret, or a secret whose name does not say so (the rule cannot look at
 * a masked value).
 */
export const exportedEnv = (env: EnvMap): Record<string, ExportedEnvValue> =>
  Object.fromEntries(
    Object.entries(env).map(([name, value]): [string, ExportedEnvValue] => {
      if (isPlainEnvValue(value)) return [name, isSecretByDefault(name, value.plain) ? { value: value.plain, secret: false } : value.plain];
      const masked = mask(value) as string;
      return [name, isSecretEnvName(name) ? masked : { value: masked, secret: true }];
    }),
  );
