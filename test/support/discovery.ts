import { createHash } from 'node:crypto';
import type { DiscoveredTool } from '../../src/domain/server/events';
import type { Application } from '../../src/infrastructure/application';

/**
 * Records a `tools/list` result for a server through the same command the upstream supervisor
 * sends, so REST tests can see discovered tools without running an upstream.
 */
export const recordDiscoveredTools = (app: Application, serverId: string, tools: readonly DiscoveredTool[]) =>
  app.commands.servers.recordDiscoveredTools(serverId, tools, createHash('sha256').update(JSON.stringify(tools)).digest('hex'), {
    actor: 'system:test',
    correlationId: `discovery-${serverId}`,
  });

export const tool = (name: string, description = `The ${name} tool`): DiscoveredTool => ({
  name,
  title: `${name[0].toUpperCase()}${name.slice(1)}`,
  description,
  inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
});
