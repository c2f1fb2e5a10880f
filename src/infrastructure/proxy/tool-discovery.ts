import { createHash, randomUUID } from 'node:crypto';
import type { DiscoveredTool } from '../../domain/server/events';
import type { McpTool, UpstreamSpec } from '../upstream';

/** Canonical JSON (sorted keys) so that the same tools always give the same fingerprint. */
const canonical = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(',')}]`
    : typeof value === 'object' && value !== null
      ? `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`
      : JSON.stringify(value);

export const toolsFingerprint = (tools: readonly McpTool[]): string =>
  createHash('sha256').update(canonical([...tools].sort((a, b) => a.name.localeCompare(b.name)))).digest('hex');

const discovered = (tool: McpTool): DiscoveredTool => ({
  name: tool.name,
  ...(tool.title !== undefined ? { title: tool.title } : {}),
  ...(tool.description !== undefined ? { description: tool.description } : {}),
  inputSchema: tool.inputSchema as Record<string, unknown>,
  ...(tool.outputSchema !== undefined ? { outputSchema: tool.outputSchema as Record<string, unknown> } : {}),
  ...(tool.annotations !== undefined ? { annotations: tool.annotations as Record<string, unknown> } : {}),
});

export type RecordTools = (
  serverId: string,
  tools: readonly DiscoveredTool[],
  fingerprint: string,
  context: { actor: string; correlationId: string },
) => Promise<unknown>;

/**
 * Records an upstream's tool definitions in its server stream (ServerToolsDiscovered) when they
 * changed, through the server's command handler (whose decider compares fingerprints too).
 * The fingerprint each server was last recorded with is remembered, so that a list that did
 * not change costs no transaction.
 */
export class ToolDiscovery {
  private readonly recorded = new Map<string, string>();

  constructor(
    private readonly record: RecordTools,
    private readonly log?: (level: 'warn', message: string, fields: object) => void,
  ) {}

  listed(spec: UpstreamSpec, tools: readonly McpTool[]): void {
    const fingerprint = toolsFingerprint(tools);
    if (this.recorded.get(spec.id) === fingerprint) return;
    void this.record(spec.id, tools.map(discovered), fingerprint, { actor: 'system:discovery', correlationId: randomUUID() }).then(
      () => this.recorded.set(spec.id, fingerprint),
      (error: unknown) => this.log?.('warn', 'could not record discovered tools', { serverId: spec.id, error: String(error) }),
    );
  }
}
