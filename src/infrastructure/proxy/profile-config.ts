import type { LinkStatus, ToolPrefixMode } from '../../domain/profile/events';
import type { SealedMap, SealedSecret } from '../../domain/shared';
import { openMap, type SecretBox } from '../crypto';
import type { Sql } from '../eventstore';
import type { UpstreamSpec } from '../upstream';

export type ToolSettingRow = Readonly<{
  status: LinkStatus;
  name: string | null;
  title: string | null;
  description: string | null;
  annotations: Readonly<Record<string, unknown>> | null;
}>;

/** What the proxy needs of one profile, read from the read models, secrets opened in memory. */
export type ProxyProfile = Readonly<{
  id: string;
  slug: string;
  toolPrefix: ToolPrefixMode;
  auth: Readonly<{ apiKey: boolean; queryParam: boolean }>;
  debugLogging: boolean;
  /** The servers whose link is active, in attach order. */
  servers: readonly UpstreamSpec[];
  /** Keyed by `<serverId>/<toolName>`. */
  tools: ReadonlyMap<string, ToolSettingRow>;
}>;

type ProfileRowLite = { id: string; slug: string; tool_prefix: string; auth_api_key: number; auth_query_param: number; debug_logging: number };
type ServerRowLite = {
  id: string; name: string; transport: string; command: string | null; args: string; env: string; cwd: string | null;
  url: string | null; headers: string; bearer_token: string | null; timeout_ms: number | null; isolation: string;
};
type ToolRowLite = {
  server_id: string; tool_name: string; status: LinkStatus; override_name: string | null; override_title: string | null;
  override_description: string | null; override_annotations: string | null;
};

/** Decrypts a server's secrets into the spec the upstream layer connects with. Never logged. */
export const toUpstreamSpec = (secrets: SecretBox, row: ServerRowLite): UpstreamSpec => ({
  id: row.id,
  name: row.name,
  transport: row.transport as UpstreamSpec['transport'],
  command: row.command,
  args: JSON.parse(row.args) as string[],
  env: openMap(secrets, JSON.parse(row.env) as SealedMap),
  cwd: row.cwd,
  url: row.url,
  headers: openMap(secrets, JSON.parse(row.headers) as SealedMap),
  bearerToken: row.bearer_token === null ? null : secrets.open(JSON.parse(row.bearer_token) as SealedSecret),
  timeoutMs: row.timeout_ms,
  isolation: row.isolation === 'per_session' ? 'per_session' : 'shared',
});

const SERVER_COLUMNS = 's.id, s.name, s.transport, s.command, s.args, s.env, s.cwd, s.url, s.headers, s.bearer_token, s.timeout_ms, s.isolation';

export const loadServerSpec = (sql: Sql, secrets: SecretBox, serverId: string): UpstreamSpec | null => {
  const row = sql.get<ServerRowLite>(`SELECT ${SERVER_COLUMNS} FROM servers s WHERE s.id = ? AND s.status = 'active'`, serverId);
  return row ? toUpstreamSpec(secrets, row) : null;
};

/** Reads one active profile by slug or id; null when there is none. */
export const loadProxyProfile = (sql: Sql, secrets: SecretBox, key: { slug: string } | { id: string }): ProxyProfile | null => {
  const profile = sql.get<ProfileRowLite>(
    `SELECT id, slug, tool_prefix, auth_api_key, auth_query_param, debug_logging FROM profiles
     WHERE ${'slug' in key ? 'slug' : 'id'} = ? AND status = 'active'`,
    'slug' in key ? key.slug : key.id,
  );
  if (!profile) return null;
  const servers = sql.all<ServerRowLite>(
    `SELECT ${SERVER_COLUMNS} FROM profile_servers l JOIN servers s ON s.id = l.server_id
     WHERE l.profile_id = ? AND l.status = 'active' AND s.status = 'active' ORDER BY l.position`,
    profile.id,
  );
  const tools = sql.all<ToolRowLite>(
    `SELECT server_id, tool_name, status, override_name, override_title, override_description, override_annotations
     FROM profile_tools WHERE profile_id = ?`,
    profile.id,
  );
  return {
    id: profile.id,
    slug: profile.slug,
    toolPrefix: profile.tool_prefix as ToolPrefixMode,
    auth: { apiKey: profile.auth_api_key === 1, queryParam: profile.auth_query_param === 1 },
    debugLogging: profile.debug_logging === 1,
    servers: servers.map((row) => toUpstreamSpec(secrets, row)),
    tools: new Map(
      tools.map((row) => [
        `${row.server_id}/${row.tool_name}`,
        {
          status: row.status,
          name: row.override_name,
          title: row.override_title,
          description: row.override_description,
          annotations: row.override_annotations === null ? null : (JSON.parse(row.override_annotations) as Record<string, unknown>),
        },
      ]),
    ),
  };
};
