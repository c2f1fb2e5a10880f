import { type EnvMap, isPlainEnvValue } from '../../domain/server/env';
import { MASK, type SecretBox } from './secret-box';

/** A server's environment as the API shows it: plain values as they are, secrets masked (`••••abcd`). */
export const maskEnv = (env: EnvMap): Record<string, string> =>
  Object.fromEntries(Object.entries(env).map(([name, value]) => [name, isPlainEnvValue(value) ? value.plain : `${MASK}${value.hint}`]));

/** The whole environment in plaintext, secrets opened in memory only (to spawn an upstream, to redact). */
export const openEnv = (secrets: SecretBox, env: EnvMap): Record<string, string> =>
  Object.fromEntries(Object.entries(env).map(([name, value]) => [name, isPlainEnvValue(value) ? value.plain : secrets.open(value)]));
