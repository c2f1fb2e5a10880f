import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exportConfig, exportEventLines } from '../../infrastructure/importexport';
import type { CliCommand } from './cli-command';
import { HELP_OPTION, out, parseCommandLine, runCommand, UsageError, withApplication } from './cli-support';

const USAGE = `Usage: gatehouse export [--format config|events] [--output <file>]

Writes the configuration. --format config (the default) is a Claude Desktop style
{"mcpServers": {…}} document with a "gatehouse" section holding the profiles; secrets are
masked ("••••abcd") and \`gatehouse import\` of it restores this configuration.
--format events writes the event log as JSON lines, one event per line, secrets masked.

Options:
  --format <config|events>  what to write (default: config)
  --output <file>           write to this file instead of stdout
  -h, --help                show this help
`;

const FORMATS = ['config', 'events'];

/** A file is created 0600: the export is masked, but it still maps the internal services. */
const destination = (output: string | undefined): Writable =>
  output === undefined ? process.stdout : createWriteStream(output, { flags: 'w', mode: 0o600 });

export const exportCommand: CliCommand = {
  summary: 'write the configuration (or, --format events, the event log) as JSON',
  run: (argv) =>
    runCommand('export', USAGE, async () => {
      const { values, positionals } = parseCommandLine({
        args: [...argv],
        options: { ...HELP_OPTION, format: { type: 'string', default: 'config' }, output: { type: 'string', short: 'o' } },
        allowPositionals: true,
      });
      if (values.help) return (out(USAGE), 0);
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      if (!FORMATS.includes(values.format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
      await withApplication(async (app) => {
        const chunks = values.format === 'events' ? exportEventLines(app.store) : [`${JSON.stringify(await exportConfig(app.store), null, 2)}\n`];
        // stdout is not ended: the process may still write to it.
        await pipeline(Readable.from(chunks), destination(values.output), { end: values.output !== undefined });
      });
      if (values.output !== undefined) process.stderr.write(`exported ${values.format} to ${values.output}\n`);
      return 0;
    }),
};
