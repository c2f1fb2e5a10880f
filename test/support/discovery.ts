import { createHash } from 'node:crypto';
import * as server from '../../src/domain/server';
import type { DiscoveredTool } from '../../src/domain/server/events';
import { handleCommand } from '../../src/infrastructure/commands/handle-command';
import type { GatehouseContext } from '../../src/infrastructure/commands/context';

/**
 * Records a `tools/list` result for a server through the same command the upstream supervisor
 * sends, so REST tests can see discovered tools without running an upstream.
 */
export const recordDiscoveredTools = (ctx: GatehouseContext, serverId: string, tools: readonly DiscoveredTool[]) =>
  handleCommand(
    ctx.store,
    server.serverDecider,
    server.serverStreamId(serverId),
    {
      type: 'RecordDiscoveredTools',
      data: { serverId, tools, fingerprint: createHash('sha256').update(JSON.stringify(tools)).digest('hex') },
    },
    { actor: 'system:test', correlationId: `discovery-${serverId}` },
  );

export const tool = (name: string, description = `The ${name} tool`): DiscoveredTool => ({
  name,
  title: `${name[0].toUpperCase()}${name.slice(1)}`,
  description,
  inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
});
