import { createHash } from 'node:crypto';
import type { UpstreamSpec } from './types';

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((value, index) => value === b[index]);

const sameRecord = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
};

/**
 * Whether going from `a` to `b` changes how the upstream is reached. A new display name or
 * request timeout applies without dropping the connection (and killing a stdio server).
 */
export const needsReconnect = (a: UpstreamSpec, b: UpstreamSpec): boolean =>
  a.transport !== b.transport ||
  a.command !== b.command ||
  !sameList(a.args, b.args) ||
  !sameRecord(a.env, b.env) ||
  a.cwd !== b.cwd ||
  a.url !== b.url ||
  !sameRecord(a.headers, b.headers) ||
  a.bearerToken !== b.bearerToken;

const sortedEntries = (record: Readonly<Record<string, string>>): [string, string][] => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * A digest of what `needsReconnect` compares: two specs have the same key exactly when going
 * from one to the other keeps the connection. A digest, so that what is kept under it holds no
 * copy of an env or header value.
 */
export const connectionKey = (spec: UpstreamSpec): string =>
  createHash('sha256')
    .update(JSON.stringify([spec.transport, spec.command, spec.args, sortedEntries(spec.env), spec.cwd, spec.url, sortedEntries(spec.headers), spec.bearerToken]))
    .digest('base64url');
