import { readFile, stat } from 'node:fs/promises';
import { MAX_DOCUMENT_BYTES, parseImportText, type ImportResult } from '../../infrastructure/importexport';
import type { CliCommand } from './cli-command';
import { cliCommandContext, formatTable, HELP_OPTION, out, parseCommandLine, runCommand, UsageError, withApplication } from './cli-support';

const USAGE = `Usage: gatehouse import <file> [--profile <slug>] [--json]

Imports servers from a Claude Desktop style document {"mcpServers": {"<name>": {…}}}
(types stdio, sse, http, streamable_http, streamableHttp; command, args, env, cwd, url,
headers, description, bearerToken, timeoutMs) and, when present, the profiles of its
"gatehouse" section, as \`gatehouse export\` writes them. Existing servers (by name) are
reconfigured; importing the same file again changes nothing. A file with a bad entry is
refused whole. Masked secrets ("••••abcd") keep the current value. "-" reads stdin.

Options:
  --profile <slug>  attach every imported server to this profile (active)
  --json            print the result as JSON
  -h, --help        show this help
`;

const readDocument = async (file: string): Promise<string> => {
  if (file === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin) {
      size += (chunk as Buffer).length;
      if (size > MAX_DOCUMENT_BYTES) throw new UsageError('stdin holds more than 1 MiB; that is more than an import can take');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  const info = await stat(file).catch(() => {
    throw new UsageError(`cannot read "${file}": no such file`);
  });
  if (!info.isFile()) throw new UsageError(`"${file}" is not a file`);
  if (info.size > MAX_DOCUMENT_BYTES) throw new UsageError(`"${file}" has ${info.size} bytes; at most 1 MiB can be imported`);
  return readFile(file, 'utf8');
};

const summary = (result: ImportResult): string =>
  formatTable(['SERVER', 'ACTION', 'ID'], result.servers.map((server) => [server.name, server.action, server.id ?? ''])) +
  (result.attachedTo === null ? '' : `attached to profile ${result.attachedTo}\n`) +
  `${result.appended} event${result.appended === 1 ? '' : 's'} appended\n`;

export const importCommand: CliCommand = {
  summary: 'import servers (and profiles) from a Claude Desktop style JSON file',
  run: (argv) =>
    runCommand('import', USAGE, async () => {
      const { values, positionals } = parseCommandLine({
        args: [...argv],
        options: { ...HELP_OPTION, profile: { type: 'string' }, json: { type: 'boolean' } },
        allowPositionals: true,
      });
      if (values.help) return (out(USAGE), 0);
      if (positionals.length !== 1) throw new UsageError('give exactly one file to import');
      const document = parseImportText(await readDocument(positionals[0]));
      const result = await withApplication((app) => app.commands.importDocument(document, { profile: values.profile }, cliCommandContext()));
      out(values.json ? JSON.stringify(result, null, 2) : summary(result));
      return 0;
    }),
};
