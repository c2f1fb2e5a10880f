import type { Sql } from '../eventstore';
import type { EventStore } from '../eventstore';
import { eventView } from '../queries/history.queries';
import { serverRowToSnapshot, snapshotToView } from '../queries/server.view';
import type { ServerRow } from '../readmodels/entities';
import { EXPORTED_TYPE } from './document';

export type ExportedServer = Record<string, unknown>;

export type ExportedProfile = {
  name: string;
  description: string | null;
  toolPrefix: string;
  auth: { apiKey: boolean; queryParam: boolean };
  debugLogging: boolean;
  servers: { name: string; status: string }[];
  tools: Record<string, unknown>[];
};

/** The configuration as one document: import it and you get this configuration back. */
export type ConfigDocument = {
  mcpServers: Record<string, ExportedServer>;
  gatehouse: { position: number; exportedAt: string; profiles: Record<string, ExportedProfile> };
};

type ProfileRecord = {
  id: string; slug: string; name: string; description: string | null; tool_prefix: string;
  auth_api_key: number; auth_query_param: number; debug_logging: number;
};
type LinkRecord = { profile_id: string; name: string; status: string };
type ToolRecord = {
  profile_id: string; server_name: string; tool_name: string; status: string; override_name: string | null;
  override_title: string | null; override_description: string | null; override_annotations: string | null;
};

const SERVER_COLUMNS = `id, name, description, transport, command, args, env, cwd, url, headers,
  bearer_token AS bearerToken, timeout_ms AS timeoutMs, status, version`;

/** Only what is set, in the order people write it: an empty list or a null says nothing. */
const compact = (entries: [string, unknown][]): Record<string, unknown> =>
  Object.fromEntries(
    entries.filter(([, value]) => value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0) && !(typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0)),
  );

const exportServer = (row: ServerRow): ExportedServer => {
  const view = snapshotToView(serverRowToSnapshot(row), 'active', row.version);
  return compact([
    ['type', EXPORTED_TYPE[row.transport as keyof typeof EXPORTED_TYPE] ?? row.transport],
    ['description', view.description],
    ['command', view.command],
    ['args', view.args],
    ['env', view.env],
    ['cwd', view.cwd],
    ['url', view.url],
    ['headers', view.headers],
    ['bearerToken', view.bearerToken],
    ['timeoutMs', view.timeoutMs],
  ]);
};

const exportTool = (row: ToolRecord): Record<string, unknown> =>
  compact([
    ['server', row.server_name],
    ['tool', row.tool_name],
    ['status', row.status],
    ['name', row.override_name],
    ['title', row.override_title],
    ['description', row.override_description],
    ['annotations', row.override_annotations === null ? null : JSON.parse(row.override_annotations)],
  ]);

/**
 * Reads the configuration read models in one read transaction (a consistent snapshot even while
 * another process appends) and writes them as a Claude-Desktop-style document. Secrets are
 * masked (`••••abcd`); importing the document back keeps them. Tool settings of removed servers
 * are left out: they expose nothing and no entry could name their server.
 */
export const exportConfig = (sql: Sql, now: Date = new Date()): ConfigDocument =>
  sql.transaction(() => {
    const position = sql.get<{ head: number | null }>('SELECT MAX(position) AS head FROM events')?.head ?? 0;
    const servers = sql.all<ServerRow>(`SELECT ${SERVER_COLUMNS} FROM servers WHERE status = 'active' ORDER BY name`);
    const profiles = sql.all<ProfileRecord>(`SELECT * FROM profiles WHERE status = 'active' ORDER BY slug`);
    const links = sql.all<LinkRecord>(
      `SELECT link.profile_id, server.name, link.status FROM profile_servers link
       JOIN servers server ON server.id = link.server_id ORDER BY link.profile_id, link.position`,
    );
    const tools = sql.all<ToolRecord>(
      `SELECT tool.*, server.name AS server_name FROM profile_tools tool
       JOIN servers server ON server.id = tool.server_id AND server.status = 'active'
       WHERE tool.status <> 'active' OR tool.override_name IS NOT NULL OR tool.override_title IS NOT NULL
         OR tool.override_description IS NOT NULL OR tool.override_annotations IS NOT NULL
       ORDER BY tool.profile_id, server.name, tool.tool_name`,
    );
    return {
      mcpServers: Object.fromEntries(servers.map((row) => [row.name, exportServer(row)])),
      gatehouse: {
        position,
        exportedAt: now.toISOString(),
        profiles: Object.fromEntries(
          profiles.map((row): [string, ExportedProfile] => [
            row.slug,
            {
              name: row.name,
              description: row.description,
              toolPrefix: row.tool_prefix,
              auth: { apiKey: row.auth_api_key === 1, queryParam: row.auth_query_param === 1 },
              debugLogging: row.debug_logging === 1,
              servers: links.filter((link) => link.profile_id === row.id).map((link) => ({ name: link.name, status: link.status })),
              tools: tools.filter((tool) => tool.profile_id === row.id).map(exportTool),
            },
          ]),
        ),
      },
    };
  });

/**
 * The log as JSON lines, one event per line, up to the position it was at when the export
 * began; secrets masked by the same view the API uses, so not even ciphertext leaves.
 */
export async function* exportEventLines(store: EventStore, batchSize = 1000): AsyncGenerator<string> {
  const head = await store.headPosition();
  for (let after = 0; after < head; ) {
    const events = await store.readAll({ after, upTo: head, limit: batchSize });
    if (events.length === 0) return;
    yield events.map((event) => `${JSON.stringify(eventView(event))}\n`).join('');
    after = events[events.length - 1].position;
  }
}
