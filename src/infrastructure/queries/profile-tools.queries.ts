import type { DataSource } from 'typeorm';
import { exposedNames } from '../../domain/profile/exposed-names';
import type { ToolPrefixMode } from '../../domain/profile/events';
import { ToolRow } from '../readmodels/entities';
import { profileServers, profileToolRows } from './profile.queries';

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
};

/**
 * What a profile exposes: every discovered tool of its attached servers, with the profile's
 * status and overrides applied, plus the settings made for tools not discovered yet.
 */
export const effectiveTools = async (dataSource: DataSource, profileId: string, toolPrefix: ToolPrefixMode): Promise<EffectiveTool[]> => {
  const servers = await profileServers(dataSource, profileId);
  const settings = new Map((await profileToolRows(dataSource, profileId)).map((row) => [`${row.serverId}/${row.toolName}`, row]));
  const tools: Omit<EffectiveTool, 'exposedName'>[] = [];
  for (const server of servers) {
    const discovered = await dataSource.getRepository(ToolRow).find({ where: { serverId: server.id }, order: { name: 'ASC' } });
    const names = new Set(discovered.map((tool) => tool.name));
    const undiscovered = [...settings.values()].filter((row) => row.serverId === server.id && !names.has(row.toolName));
    const entries = [
      ...discovered.map((tool) => ({ name: tool.name, tool })),
      ...undiscovered.map((row) => ({ name: row.toolName, tool: undefined })),
    ];
    for (const { name, tool } of entries) {
      const setting = settings.get(`${server.id}/${name}`);
      const toolStatus = setting?.status ?? 'active';
      const overrideAnnotations = setting?.overrideAnnotations ? (JSON.parse(setting.overrideAnnotations) as unknown) : null;
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
        annotations: overrideAnnotations ?? (tool?.annotations ? JSON.parse(tool.annotations) : null),
        inputSchema: tool ? JSON.parse(tool.inputSchema) : null,
        overrides: {
          name: setting?.overrideName ?? null,
          title: setting?.overrideTitle ?? null,
          description: setting?.overrideDescription ?? null,
          annotations: overrideAnnotations,
        },
      });
    }
  }
  const names = exposedNames(
    tools.map((tool) => ({ serverId: tool.serverId, serverName: tool.serverName, toolName: tool.originalName, overrideName: tool.overrides.name ?? undefined })),
    toolPrefix,
  );
  return tools.map((tool) => ({ exposedName: names.get(`${tool.serverId}/${tool.originalName}`) ?? tool.originalName, ...tool }));
};
