import { closeSync, constants, createWriteStream, fchmodSync, openSync, writeSync } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exportEventLines } from '../../infrastructure/importexport';
import { BACKUP_PASSPHRASE_ENV, passphraseForExport } from './backup-passphrase';
import type { CliCommand } from './cli-command';
import { HELP_OPTION, out, parseCommandLine, runCommand, UsageError, withApplication } from './cli-support';

const USAGE = `Usage: gatehouse export [--format config|events] [--with-secrets] [--output <file>]

Writes the configuration. --format config (the default) is a Claude Desktop style
{"mcpServers": {…}} document with a "gatehouse" section holding the profiles; secrets are
masked ("••••abcd") and \`gatehouse import\` of it restores this configuration.
--format events writes the event log as JSON lines, one event per line, secrets masked.

--with-secrets writes a backup that restores a fresh data dir: the same document with
every secret (env and header values, bearer tokens) encrypted under a passphrase, and a
MAC over the whole document. The passphrase (at least 12 characters) comes from
${BACKUP_PASSPHRASE_ENV} or, when that is unset in a terminal, is asked for twice.
\`gatehouse import <file>\` with the same passphrase restores the backup. OAuth tokens
are not in it: authorize those servers again after a restore.

Options:
  --format <config|events>  what to write (default: config)
  --with-secrets            write a passphrase-encrypted backup (config only)
  --output <file>           write to this file (created with mode 0600) instead of stdout
  -h, --help                show this help
`;

const FORMATS = ['config', 'events'];

/** A file is created 0600: the export is masked, but it still maps the internal services. */
const destination = (output: string | undefined): Writable =>
  output === undefined ? process.stdout : createWriteStream(output, { flags: 'w', mode: 0o600 });

/** A backup file is 0600 even when it existed before: it holds every secret, if only encrypted. */
const writePrivateFile = (path: string, text: string): void => {
  // O_NOFOLLOW: a symlink planted at the path is refused, not written through.
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    fchmodSync(fd, 0o600);
    const bytes = Buffer.from(text, 'utf8');
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
  } finally {
    closeSync(fd);
  }
};

const writeBackup = async (output: string | undefined): Promise<void> => {
  const passphrase = await passphraseForExport();
  const text = `${JSON.stringify(await withApplication((app) => app.exports.backup(passphrase)), null, 2)}\n`;
  if (output === undefined) process.stdout.write(text);
  else writePrivateFile(output, text);
};

export const exportCommand: CliCommand = {
  run: (argv) =>
    runCommand('export', USAGE, async () => {
      const { values, positionals } = parseCommandLine({
        args: [...argv],
        options: { ...HELP_OPTION, format: { type: 'string', default: 'config' }, 'with-secrets': { type: 'boolean' }, output: { type: 'string', short: 'o' } },
        allowPositionals: true,
      });
      if (values.help) return (out(USAGE), 0);
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      if (!FORMATS.includes(values.format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
      if (values['with-secrets']) {
        if (values.format !== 'config') throw new UsageError('--with-secrets writes a config document; it cannot be used with --format events');
        await writeBackup(values.output);
        if (values.output !== undefined) process.stderr.write(`exported a backup with encrypted secrets to ${values.output}\n`);
        return 0;
      }
      await withApplication(async (app) => {
        const chunks = values.format === 'events' ? exportEventLines(app.store) : [`${JSON.stringify(await app.exports.config(), null, 2)}\n`];
        // stdout is not ended: the process may still write to it.
        await pipeline(Readable.from(chunks), destination(values.output), { end: values.output !== undefined });
      });
      if (values.output !== undefined) process.stderr.write(`exported ${values.format} to ${values.output}\n`);
      return 0;
    }),
};
