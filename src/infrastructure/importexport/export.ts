import { eventView, type EventLog } from '../eventstore';
import { ProfileReadModel, type ProfileRow, type ProfileToolRow } from '../readmodels/profile';
import { approvedToolsOf, ServerReadModel, serverRowToSnapshot, type ServerRow } from '../readmodels/server';
import type { SealedSecret } from '../../domain/shared';
import { mask } from '../crypto/secret-box';
import { EXPORTED_TYPE } from './document';
import { exportedEnv, exportedHeaders } from './export-env';
import { exportPeople, type AccessEntry, type PasswordHashWriter, type UserEntry } from './people';
import type { ManagedEventStore } from '../eventstore/typeorm-event-store';

export type ExportedServer = Record<string, unknown>;

export type ExportedProfile = {
  name: string;
  description: string | null;
  toolPrefix: string;
  toolExposure: string;
  adaptiveToolLimit: number;
  auth: { apiKey: boolean; queryParam: boolean; mode?: string };
  debugLogging: boolean;
  servers: { name: string; status: string }[];
  tools: Record<string, unknown>[];
};

/** The configuration as one document: import it and you get this configuration back. */
export type ConfigDocument = {
  mcpServers: Record<string, ExportedServer>;
  gatehouse: {
    position: number;
    exportedAt: string;
    profiles: Record<string, ExportedProfile>;
    /** Present when there are users: names, roles and statuses (a backup adds sealed password hashes). */
    users?: UserEntry[];
    /** Present when some profile's or server's access was set: owner and visibility, users by name. */
    access?: { profiles: Record<string, AccessEntry>; servers: Record<string, AccessEntry> };
  };
};


/** Only what is set, in the order people write it: an empty list or a null says nothing. */
const compact = (entries: [string, unknown][]): Record<string, unknown> =>
  Object.fromEntries(
    entries.filter(([, value]) => value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0) && !(typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0)),
  );

/**
 * What a secret becomes in the document, given where it sits (`[server, field, key?]`): a mask
 * in the plain export, a sealed value in a backup.
 */
export type SecretWriter = (secret: SealedSecret, place: readonly string[]) => unknown;

const maskSecret: SecretWriter = (secret) => mask(secret);

const exportServer = (row: ServerRow, writeSecret: SecretWriter): ExportedServer => {
  const server = serverRowToSnapshot(row);
  const secretMap = (field: string, secrets: Readonly<Record<string, SealedSecret>>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(secrets).map(([key, secret]) => [key, writeSecret(secret, [row.name, field, key])]));
  return compact([
    ['type', EXPORTED_TYPE[row.transport as keyof typeof EXPORTED_TYPE] ?? row.transport],
    ['description', server.description],
    ['command', server.command],
    ['args', [...server.args]],
    ['env', exportedEnv(server.env, (secret, key) => writeSecret(secret, [row.name, 'env', key]))],
    ['cwd', server.cwd],
    ['url', server.url],
    ['headers', exportedHeaders(server.headers, server.secretHeaders ?? [], (secret, key) => writeSecret(secret, [row.name, 'headers', key]))],
    ['bearerToken', server.bearerToken === null ? null : writeSecret(server.bearerToken, [row.name, 'bearerToken'])],
    ['timeoutMs', server.timeoutMs],
    ['toolPinning', server.toolPinning === 'off' ? null : server.toolPinning],
    ['credentials', server.credentials === 'shared' ? null : server.credentials],
    ['approvedTools', approvedToolsOf(row)],
  ]);
};

const exportTool = (serverName: string, row: ProfileToolRow): Record<string, unknown> =>
  compact([
    ['server', serverName],
    ['tool', row.toolName],
    ['status', row.status],
    ['name', row.overrideName],
    ['title', row.overrideTitle],
    ['description', row.overrideDescription],
    ['annotations', row.overrideAnnotations === null ? null : JSON.parse(row.overrideAnnotations)],
  ]);

const isDefault = (row: ProfileToolRow): boolean =>
  row.status === 'active' && row.overrideName === null && row.overrideTitle === null && row.overrideDescription === null && row.overrideAnnotations === null;

const exportProfile = async (profiles: ProfileReadModel, row: ProfileRow, activeServers: ReadonlyMap<string, string>): Promise<ExportedProfile> => ({
  name: row.name,
  description: row.description,
  toolPrefix: row.toolPrefix,
  toolExposure: row.toolExposure,
  adaptiveToolLimit: row.adaptiveToolLimit,
  // mode only when it is not the default: documents exported before OAuth existed stay the same.
  auth: { apiKey: row.authApiKey === 1, queryParam: row.authQueryParam === 1, ...(row.authMode === 'api_keys' ? {} : { mode: row.authMode }) },
  debugLogging: row.debugLogging === 1,
  servers: (await profiles.servers(row.id)).map((link) => ({ name: link.name, status: link.status })),
  // Tool settings of removed servers are left out: they expose nothing and no entry could name their server.
  tools: (await profiles.toolSettings(row.id))
    .filter((tool) => activeServers.has(tool.serverId) && !isDefault(tool))
    .map((tool) => ({ name: activeServers.get(tool.serverId) as string, tool }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.tool.toolName < b.tool.toolName ? -1 : a.tool.toolName > b.tool.toolName ? 1 : 0))
    .map(({ name, tool }) => exportTool(name, tool)),
});

/**
 * Reads the configuration read models in one transaction (a consistent snapshot even while
 * another process appends) and writes them as a Claude-Desktop-style document. Secrets are
 * masked (`••••abcd`); importing the document back keeps them.
 */
export const exportConfig = (store: ManagedEventStore, now: Date = new Date()): Promise<ConfigDocument> => exportDocument(store, maskSecret, now, null);

/** The export with each secret written by `writeSecret`, and password hashes by `writeHash` (none: left out; see backup.ts). */
export const exportDocument = (store: ManagedEventStore, writeSecret: SecretWriter, now: Date = new Date(), writeHash: PasswordHashWriter = null): Promise<ConfigDocument> =>
  store.transact(async (tx) => {
    const position = await tx.headPosition();
    const servers = await new ServerReadModel(tx.manager).list();
    const profiles = new ProfileReadModel(tx.manager);
    const activeServers = new Map(servers.map((row) => [row.id, row.name]));
    const exported: Record<string, ExportedProfile> = {};
    for (const row of await profiles.listActive()) exported[row.slug] = await exportProfile(profiles, row, activeServers);
    const people = await exportPeople(tx.manager, writeHash);
    const hasAccess = Object.keys(people.access.profiles).length + Object.keys(people.access.servers).length > 0;
    return {
      mcpServers: Object.fromEntries(servers.map((row) => [row.name, exportServer(row, writeSecret)])),
      gatehouse: {
        position, exportedAt: now.toISOString(), profiles: exported,
        // Only when there is something to say: documents of a store without users stay as they were.
        ...(people.users.length > 0 ? { users: [...people.users] } : {}),
        ...(hasAccess ? { access: { profiles: { ...people.access.profiles }, servers: { ...people.access.servers } } } : {}),
      },
    };
  });

/**
 * The log as JSON lines, one event per line, up to the position it was at when the export
 * began; secrets masked by the same view the API uses, so not even ciphertext leaves.
 */
export async function* exportEventLines(store: EventLog, batchSize = 1000): AsyncGenerator<string> {
  const head = await store.headPosition();
  for (let after = 0; after < head; ) {
    const events = await store.readAll({ after, upTo: head, limit: batchSize });
    if (events.length === 0) return;
    yield events.map((event) => `${JSON.stringify(eventView(event))}\n`).join('');
    after = events[events.length - 1].position;
  }
}
