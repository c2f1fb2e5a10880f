import * as server from '../../domain/server';
import { approvedToolsOf } from '../../infrastructure/readmodels/server';
import type { CliCommand } from './cli-command';
import { cliCommandContext, formatTable, HELP_OPTION, out, parseCommandLine, runCommand, UsageError, withApplication } from './cli-support';

const USAGE = `Usage: gatehouse tools pending --server <name|id> [--json]
       gatehouse tools approve --server <name|id> [--tool <name>]… [--json]

Pinned tool definitions (a server's toolPinning): \`pending\` lists the tools held back, with
what changed since they were approved; \`approve\` approves the named tools, or every pending
one when no --tool is given. An approval is an event: it shows in the server's history, and a
revert to before it holds the tool back again.

Options:
  --server <name|id>  the server
  --tool <name>       a tool to approve (repeatable)
  --json              print JSON instead of text
  -h, --help          show this help
`;

type Options = { server?: string; tool?: string[]; json?: boolean };

const show = (value: unknown): string => (value === undefined || value === null ? '—' : JSON.stringify(value));

const pending = async (serverName: string, options: Options): Promise<number> => {
  const { row, tools } = await withApplication(async (app) => {
    const row = await app.queries.servers.find(serverName);
    if (!row) throw new UsageError(`no server "${serverName}"`);
    return { row, tools: server.pendingTools(row.toolPinning as server.ToolPinning, approvedToolsOf(row), await app.queries.tools.definitionsForServer(row.id)) };
  });
  if (options.json) {
    out(JSON.stringify({ serverId: row.id, toolPinning: row.toolPinning, pending: tools }, null, 2));
    return 0;
  }
  if (tools.length === 0) {
    process.stderr.write(`nothing pending for "${row.name}" (toolPinning: ${row.toolPinning})\n`);
    return 0;
  }
  out(formatTable(
    ['TOOL', 'STATUS', 'FIELD', 'APPROVED', 'NOW'],
    tools.flatMap((tool) =>
      tool.diff.length === 0
        ? [[tool.name, tool.status, '', '', '']]
        : tool.diff.map((change, i) => [i === 0 ? tool.name : '', i === 0 ? tool.status : '', change.field, show(change.from), show(change.to)]),
    ),
  ));
  return 0;
};

const approve = async (serverName: string, options: Options): Promise<number> => {
  const approved = await withApplication(async (app) => {
    const row = await app.queries.servers.find(serverName);
    if (!row) throw new UsageError(`no server "${serverName}"`);
    const result = await app.commands.servers.approveTools(row.id, options.tool, cliCommandContext());
    return result.events.flatMap((event) => (event.type === 'ToolDefinitionApproved' ? (event.data as server.ToolDefinitionApproved['data']).tools.map((tool) => tool.name) : []));
  });
  if (options.json) out(JSON.stringify({ approved }, null, 2));
  else out(approved.length === 0 ? 'nothing to approve' : `approved ${approved.join(', ')}`);
  return 0;
};

export const toolsCommand: CliCommand = {
  run: (argv) =>
    runCommand('tools', USAGE, async () => {
      const { values, positionals } = parseCommandLine({
        args: [...argv],
        options: { ...HELP_OPTION, server: { type: 'string' }, tool: { type: 'string', multiple: true }, json: { type: 'boolean' } },
        allowPositionals: true,
      });
      if (values.help) return (out(USAGE), 0);
      const [action, ...rest] = positionals;
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      if (action !== 'pending' && action !== 'approve') throw new UsageError(action === undefined ? 'give an action: pending or approve' : `unknown action "${action}"`);
      if (values.server === undefined) throw new UsageError(`${action} needs --server <name|id>`);
      if (action === 'pending' && values.tool !== undefined) throw new UsageError('--tool belongs to `tools approve`');
      return action === 'pending' ? pending(values.server, values) : approve(values.server, values);
    }),
};
