import type { EntityManager } from 'typeorm';
import { exposedNames } from '../../../domain/profile/exposed-names';
import type { ToolPrefixMode } from '../../../domain/profile/events';
import { ToolReadModel } from '../tools';
import { ProfileReadModel } from './profile.queries';

export type EffectiveTool = {
  exposedName: string;
  serverId: string;
  serverName: string;
  originalName: string;
  /** `active` only when both the tool and its server's link are active. */
  status: 'active' | 'inactive';
  toolStatus: 'active' | 'inactive';
  serverStatus: 'active' | 'inactive';
  /** False for settings made for a tool the upstream has not (yet) reported. */
  discovered: boolean;
  title: string | null;
  description: string | null;
  annotations: unknown;
  inputSchema: unknown;
  overrides: { name: string | null; title: string | null; description: string | null; annotations: unknown };
  /** The upstream's definition differs from the one approved or, never approved, first seen (tool-history.ts). */
  changedUpstream: boolean;
};

const parse = (text: string | null | undefined): unknown => (text ? JSON.parse(text) : null);

/**
 * What a profile exposes: every discovered tool of its attached servers, with the profile's
 * status and overrides applied, plus the settings made for tools not discovered yet.
 * `changedUpstream` names a server's tools whose definition changed (read from its stream).
 */
export const effectiveTools = async (
  manager: EntityManager,
  profileId: string,
  toolPrefix: ToolPrefixMode,
  changedUpstream: (serverId: string) => Promise<ReadonlySet<string>>,
): Promise<EffectiveTool[]> => {
  const profiles = new ProfileReadModel(manager);
  const servers = await profiles.servers(profileId);
  const settings = new Map((await profiles.toolSettings(profileId)).map((row) => [`${row.serverId}/${row.toolName}`, row]));
  const discoveredByServer = new Map<string, { name: string; row: Awaited<ReturnType<ToolReadModel['forServers']>>[number] }[]>();
  for (const row of await new ToolReadModel(manager).forServers(servers.map((server) => server.id))) {
    const list = discoveredByServer.get(row.serverId) ?? [];
    list.push({ name: row.name, row });
    discoveredByServer.set(row.serverId, list);
  }
  const tools: Omit<EffectiveTool, 'exposedName'>[] = [];
  for (const server of servers) {
    const discovered = discoveredByServer.get(server.id) ?? [];
    const names = new Set(discovered.map((tool) => tool.name));
    const undiscovered = [...settings.values()].filter((row) => row.serverId === server.id && !names.has(row.toolName));
    const changed = discovered.length === 0 ? new Set<string>() : await changedUpstream(server.id);
    const entries = [...discovered.map(({ name, row }) => ({ name, tool: row })), ...undiscovered.map((row) => ({ name: row.toolName, tool: undefined }))];
    for (const { name, tool } of entries) {
      const setting = settings.get(`${server.id}/${name}`);
      const toolStatus = setting?.status ?? 'active';
      const overrideAnnotations = parse(setting?.overrideAnnotations);
      tools.push({
        serverId: server.id,
        serverName: server.name,
        originalName: name,
        status: toolStatus === 'active' && server.status === 'active' ? 'active' : 'inactive',
        toolStatus,
        serverStatus: server.status,
        discovered: tool !== undefined,
        title: setting?.overrideTitle ?? tool?.title ?? null,
        description: setting?.overrideDescription ?? tool?.description ?? null,
        annotations: overrideAnnotations ?? parse(tool?.annotations),
        inputSchema: tool ? JSON.parse(tool.inputSchema) : null,
        overrides: {
          name: setting?.overrideName ?? null,
          title: setting?.overrideTitle ?? null,
          description: setting?.overrideDescription ?? null,
          annotations: overrideAnnotations,
        },
        changedUpstream: changed.has(name),
      });
    }
  }
  const names = exposedNames(
    tools.map((tool) => ({ serverId: tool.serverId, serverName: tool.serverName, toolName: tool.originalName, overrideName: tool.overrides.name ?? undefined })),
    toolPrefix,
  );
  return tools.map((tool) => ({ exposedName: names.get(`${tool.serverId}/${tool.originalName}`) ?? tool.originalName, ...tool }));
};
