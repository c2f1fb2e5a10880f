import { type FieldEquality, type SealedMap, changedFields, jsonEqual, sameSealedMap, sameSecret, strictEqual } from '../shared';
import { sameEnvMap } from './env';
import type { ServerSettings, ServerSnapshot } from './events';

/** Secrets compare by fingerprint: re-sealing the same value gives a new ciphertext. */
const SERVER_SETTINGS_EQUALITY: FieldEquality<ServerSettings> = {
  description: strictEqual,
  transport: strictEqual,
  command: strictEqual,
  args: jsonEqual,
  env: sameEnvMap,
  cwd: strictEqual,
  url: strictEqual,
  headers: sameSealedMap,
  secretHeaders: jsonEqual,
  bearerToken: sameSecret,
  timeoutMs: strictEqual,
  isolation: strictEqual,
  toolPinning: strictEqual,
  credentials: strictEqual,
};

/** The flagged names that are headers, in the headers' order: a removed header takes its flag with it. */
const declaredSecretHeaders = (headers: SealedMap, flagged: readonly string[]): string[] => {
  const names = new Set(flagged);
  return Object.keys(headers).filter((name) => names.has(name));
};

const withSecretHeaders = (names: readonly string[]): Pick<ServerSettings, 'secretHeaders'> => (names.length === 0 ? {} : { secretHeaders: names });

/** Just the settings of anything that has them (a snapshot, a state, an untrusted command). */
export const settingsOf = (source: ServerSettings): ServerSettings => ({
  description: source.description,
  transport: source.transport,
  command: source.command,
  args: source.args,
  env: source.env,
  cwd: source.cwd,
  url: source.url,
  headers: source.headers,
  bearerToken: source.bearerToken,
  timeoutMs: source.timeoutMs,
  // Events recorded before the field existed mean the default.
  isolation: source.isolation ?? 'shared',
  toolPinning: source.toolPinning ?? 'off',
  credentials: source.credentials ?? 'shared',
  // Present only when some header is declared secret, so that servers without any record what they always did.
  ...withSecretHeaders(declaredSecretHeaders(source.headers, source.secretHeaders ?? [])),
});

export const toSnapshot = (serverId: string, name: string, settings: ServerSettings): ServerSnapshot => ({
  serverId,
  name,
  ...settingsOf(settings),
});

/** The settings in `to` that differ from `from` (`{}` when they are the same). */
export const diffServerSettings = (from: ServerSettings, to: ServerSettings): Partial<ServerSettings> =>
  changedFields(comparable(from), comparable(to), SERVER_SETTINGS_EQUALITY);

/** Absent secret headers mean none: a change to none is carried as `[]`. */
const comparable = (source: ServerSettings): ServerSettings => {
  const settings = settingsOf(source);
  return { ...settings, secretHeaders: settings.secretHeaders ?? [] };
};
