import type { ServerEvent, ServerSettings, ServerSnapshot } from '../../domain/server/events';
import { SERVER_EVENT_TYPES } from '../../domain/server/events';
import type { InlineProjection, Sql, SqlValue, StoredEvent } from '../eventstore';
import { json } from '../eventstore';
import { guardUnique } from './unique';

const SETTING_COLUMNS: Record<keyof ServerSettings, [column: string, toSql: (value: never) => SqlValue]> = {
  description: ['description', (value: string | null) => value],
  transport: ['transport', (value: string) => value],
  command: ['command', (value: string | null) => value],
  args: ['args', (value: readonly string[]) => json(value)],
  env: ['env', (value: object) => json(value)],
  cwd: ['cwd', (value: string | null) => value],
  url: ['url', (value: string | null) => value],
  headers: ['headers', (value: object) => json(value)],
  bearerToken: ['bearer_token', (value: object | null) => (value === null ? null : json(value))],
  timeoutMs: ['timeout_ms', (value: number | null) => value],
  isolation: ['isolation', (value: string) => value],
};

const upsertServer = (sql: Sql, snapshot: ServerSnapshot, event: StoredEvent): void => {
  guardUnique(
    () =>
      sql.run(
        `INSERT INTO servers (id, name, description, transport, command, args, env, cwd, url, headers, bearer_token,
           timeout_ms, isolation, status, version, created_at, updated_at, removed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, NULL)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
           transport = excluded.transport, command = excluded.command, args = excluded.args, env = excluded.env,
           cwd = excluded.cwd, url = excluded.url, headers = excluded.headers, bearer_token = excluded.bearer_token,
           timeout_ms = excluded.timeout_ms, isolation = excluded.isolation, status = 'active', version = excluded.version,
           updated_at = excluded.updated_at, removed_at = NULL`,
        snapshot.serverId, snapshot.name, snapshot.description, snapshot.transport, snapshot.command,
        json(snapshot.args), json(snapshot.env), snapshot.cwd, snapshot.url, json(snapshot.headers),
        snapshot.bearerToken === null ? null : json(snapshot.bearerToken), snapshot.timeoutMs, snapshot.isolation ?? 'shared',
        event.version, event.recordedAt, event.recordedAt,
      ),
    'SERVER_NAME_TAKEN',
    `A server named "${snapshot.name}" already exists`,
  );
};

const touch = (sql: Sql, serverId: string, event: StoredEvent): void => {
  sql.run('UPDATE servers SET version = ?, updated_at = ? WHERE id = ?', event.version, event.recordedAt, serverId);
};

const applyServerEvent = (event: StoredEvent, sql: Sql): void => {
  const domainEvent = { type: event.type, data: event.data } as ServerEvent;
  switch (domainEvent.type) {
    case 'ServerRegistered':
    case 'ServerRestored':
      upsertServer(sql, domainEvent.data, event);
      return;
    case 'ServerReconfigured': {
      for (const [field, value] of Object.entries(domainEvent.data.changes)) {
        const [column, toSql] = SETTING_COLUMNS[field as keyof ServerSettings];
        sql.run(`UPDATE servers SET ${column} = ? WHERE id = ?`, toSql(value as never), domainEvent.data.serverId);
      }
      touch(sql, domainEvent.data.serverId, event);
      return;
    }
    case 'ServerRenamed': {
      const { serverId, name } = domainEvent.data;
      guardUnique(() => sql.run('UPDATE servers SET name = ? WHERE id = ?', name, serverId), 'SERVER_NAME_TAKEN', `A server named "${name}" already exists`);
      touch(sql, serverId, event);
      return;
    }
    case 'ServerRemoved':
      sql.run(`UPDATE servers SET status = 'removed', removed_at = ? WHERE id = ?`, event.recordedAt, domainEvent.data.serverId);
      touch(sql, domainEvent.data.serverId, event);
      return;
    case 'ServerToolsDiscovered': {
      const { serverId, tools, fingerprint } = domainEvent.data;
      sql.run('DELETE FROM tools WHERE server_id = ?', serverId);
      for (const tool of tools) {
        sql.run(
          `INSERT INTO tools (server_id, name, title, description, input_schema, output_schema, annotations, discovered_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          serverId, tool.name, tool.title ?? null, tool.description ?? null, json(tool.inputSchema),
          tool.outputSchema === undefined ? null : json(tool.outputSchema),
          tool.annotations === undefined ? null : json(tool.annotations), event.recordedAt,
        );
      }
      sql.run('UPDATE servers SET tools_fingerprint = ?, tools_discovered_at = ? WHERE id = ?', fingerprint, event.recordedAt, serverId);
      touch(sql, serverId, event);
      return;
    }
  }
};

export const serverProjection: InlineProjection = {
  name: 'servers',
  eventTypes: new Set<string>(SERVER_EVENT_TYPES),
  tables: ['tools', 'servers'],
  apply: applyServerEvent,
};
