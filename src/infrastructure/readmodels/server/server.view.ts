import { type EnvMap, secretEnvNames } from '../../../domain/server/env';
import type { ApprovedTool, ServerSnapshot } from '../../../domain/server/events';
import type { SealedMap, SealedSecret } from '../../../domain/shared';
import { mask, maskEnv, maskMap } from '../../crypto';
import type { ServerRow } from './server.entity';

/** A server as the API shows it: every secret masked (`••••abcd`), plain env values as they are. */
export type ServerView = {
  id: string;
  name: string;
  description: string | null;
  transport: string;
  command: string | null;
  args: string[];
  env: Record<string, string>;
  /** The names of the env variables that are secret (their values are masked in `env`). */
  envSecret: string[];
  cwd: string | null;
  url: string | null;
  headers: Record<string, string>;
  /** The names of the headers declared secret (never sent on a per-user connection); all header values are masked. */
  headersSecret: string[];
  bearerToken: string | null;
  timeoutMs: number | null;
  isolation: 'shared' | 'per_session';
  toolPinning: 'off' | 'changes' | 'all';
  /** `per_user`: each user's own bearer token / env values reach the upstream (see /api/servers/:s/credentials). */
  credentials: 'shared' | 'per_user';
  status: 'active' | 'removed';
  version: number;
  createdAt?: string;
  updatedAt?: string;
  toolsDiscoveredAt?: string | null;
};

export const serverRowToSnapshot = (row: ServerRow): ServerSnapshot => ({
  serverId: row.id,
  name: row.name,
  description: row.description,
  transport: row.transport as ServerSnapshot['transport'],
  command: row.command,
  args: JSON.parse(row.args) as string[],
  env: JSON.parse(row.env) as EnvMap,
  cwd: row.cwd,
  url: row.url,
  headers: JSON.parse(row.headers) as SealedMap,
  secretHeaders: JSON.parse(row.secretHeaders) as string[],
  bearerToken: row.bearerToken === null ? null : (JSON.parse(row.bearerToken) as SealedSecret),
  timeoutMs: row.timeoutMs,
  isolation: row.isolation,
  toolPinning: row.toolPinning,
  credentials: row.credentials,
});

export const snapshotToView = (snapshot: ServerSnapshot, status: 'active' | 'removed', version: number): ServerView => ({
  id: snapshot.serverId,
  name: snapshot.name,
  description: snapshot.description,
  transport: snapshot.transport,
  command: snapshot.command,
  args: [...snapshot.args],
  env: maskEnv(snapshot.env),
  envSecret: secretEnvNames(snapshot.env),
  cwd: snapshot.cwd,
  url: snapshot.url,
  headers: maskMap(snapshot.headers),
  headersSecret: [...(snapshot.secretHeaders ?? [])],
  bearerToken: mask(snapshot.bearerToken),
  timeoutMs: snapshot.timeoutMs,
  isolation: snapshot.isolation ?? 'shared',
  toolPinning: snapshot.toolPinning ?? 'off',
  credentials: snapshot.credentials ?? 'shared',
  status,
  version,
});

export const serverRowToView = (row: ServerRow): ServerView => ({
  ...snapshotToView(serverRowToSnapshot(row), row.status, row.version),
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
  toolsDiscoveredAt: row.toolsDiscoveredAt,
});

/** The tool definitions approved for the server's pinning. */
export const approvedToolsOf = (row: ServerRow): ApprovedTool[] => JSON.parse(row.approvedTools) as ApprovedTool[];
