import { readFile, stat } from 'node:fs/promises';
import { PROFILE_SLUG_PATTERN } from '../../domain/shared/names';
import {
  isBackupDocument,
  MAX_BACKUP_BYTES,
  MAX_DOCUMENT_BYTES,
  openBackup,
  parseImportDocument,
  parseImportText,
  readJsonText,
  type ImportDocument,
  type ImportResult,
  type ProfileOutcome,
  type ServerOutcome,
} from '../../infrastructure/importexport';
import { BACKUP_PASSPHRASE_ENV, passphraseForImport } from './backup-passphrase';
import type { CliCommand } from './cli-command';
import { cliCommandContext, formatTable, HELP_OPTION, out, parseCommandLine, runCommand, UsageError, withApplication } from './cli-support';

const USAGE = `Usage: gatehouse import <file> [--profile <slug>] [--dry-run] [--json]

Imports servers from a Claude Desktop style document {"mcpServers": {"<name>": {…}}}
(types stdio, sse, http, streamable_http, streamableHttp; command, args, env, cwd, url,
headers, description, bearerToken, timeoutMs) and, when present, the profiles of its
"gatehouse" section, as \`gatehouse export\` writes them. Existing servers (by name) are
reconfigured; importing the same file again changes nothing. A file with a bad entry is
refused whole; other top-level fields than mcpServers and gatehouse (Claude Desktop's
globalShortcut, preferences, …) are ignored with a warning. Masked secrets ("••••abcd")
keep the current value. "-" reads stdin.

A backup written by \`gatehouse export --with-secrets\` is imported the same way, its
secrets decrypted with the passphrase in ${BACKUP_PASSPHRASE_ENV} (asked for when
it is unset and this runs in a terminal); a wrong passphrase
or a backup altered since it was written is refused and nothing is imported.

Options:
  --profile <slug>  attach every imported server to this profile (active); the
                    profile is created when it does not exist
  --dry-run         print what the import would change (secrets by name only) and
                    change nothing
  --json            print the result as JSON
  -h, --help        show this help
`;

const readDocument = async (file: string): Promise<string> => {
  if (file === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin) {
      size += (chunk as Buffer).length;
      if (size > MAX_BACKUP_BYTES) throw new UsageError('stdin holds more than 4 MiB; that is more than an import can take');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  const info = await stat(file).catch(() => {
    throw new UsageError(`cannot read "${file}": no such file`);
  });
  if (!info.isFile()) throw new UsageError(`"${file}" is not a file`);
  if (info.size > MAX_BACKUP_BYTES) throw new UsageError(`"${file}" has ${info.size} bytes; at most 4 MiB (a backup) can be imported`);
  return readFile(file, 'utf8');
};

/**
 * A backup (a `backup` block) is opened with the passphrase first; anything else is a plain
 * document, held to the 1 MiB an import takes. Only a backup may be larger: its secrets are
 * sealed and encoded.
 */
const parseFile = async (file: string, text: string): Promise<ImportDocument> => {
  const raw = readJsonText(text, MAX_BACKUP_BYTES);
  if (isBackupDocument(raw)) return parseImportDocument(await openBackup(raw, await passphraseForImport(file)), { fromBackup: true });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_DOCUMENT_BYTES) throw new UsageError(`"${file}" has ${bytes} bytes; at most 1 MiB can be imported`);
  return parseImportText(text);
};

/** What a reconfiguration changes; secrets by name only (the result never holds a value). */
const changesOf = (server: ServerOutcome): string =>
  [
    server.changed.join(', '),
    server.secretsReplaced.length > 0 ? `secrets replaced: ${server.secretsReplaced.join(', ')}` : '',
    server.secretsDropped.length > 0 ? `secrets dropped: ${server.secretsDropped.join(', ')}` : '',
  ]
    .filter((part) => part !== '')
    .join('; ');

const PROFILE_VERBS: Record<Exclude<ProfileOutcome['action'], 'unchanged'>, readonly [done: string, planned: string]> = {
  created: ['created', 'would create'],
  updated: ['updated', 'would update'],
};

const events = (count: number): string => `${count} event${count === 1 ? '' : 's'}`;

const summary = (result: ImportResult): string => {
  const servers = result.dryRun
    ? formatTable(['SERVER', 'WOULD BE', 'CHANGES'], result.servers.map((server) => [server.name, server.action, changesOf(server)]))
    : formatTable(['SERVER', 'ACTION', 'ID', 'CHANGES'], result.servers.map((server) => [server.name, server.action, server.id ?? '', changesOf(server)]));
  const profiles = result.profiles.flatMap(({ slug, action }) =>
    action === 'unchanged' ? [] : [`${PROFILE_VERBS[action][result.dryRun ? 1 : 0]} profile ${slug}\n`],
  );
  const attached = result.attachedTo === null ? '' : result.dryRun ? `would attach every imported server to profile ${result.attachedTo}\n` : `attached to profile ${result.attachedTo}\n`;
  const created = result.people?.usersCreated ?? [];
  const people = (created.length === 0 ? '' : `${result.dryRun ? 'would create' : 'created'} user${created.length === 1 ? '' : 's'} ${created.join(', ')}\n`) +
    (result.people?.accessSet.map((what) => `${result.dryRun ? 'would set' : 'set'} access of ${what.replace(':', ' ')}\n`).join('') ?? '');
  const count = result.dryRun ? `dry run: ${events(result.wouldAppend)} would be appended; nothing was changed\n` : `${events(result.appended)} appended\n`;
  return servers + profiles.join('') + attached + people + count;
};

export const importCommand: CliCommand = {
  run: (argv) =>
    runCommand('import', USAGE, async () => {
      const { values, positionals } = parseCommandLine({
        args: [...argv],
        options: { ...HELP_OPTION, profile: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
        allowPositionals: true,
      });
      if (values.help) return (out(USAGE), 0);
      if (positionals.length !== 1) throw new UsageError('give exactly one file to import');
      const profile = values.profile;
      if (profile !== undefined && !PROFILE_SLUG_PATTERN.test(profile)) {
        throw new UsageError(`--profile must be a profile slug (${PROFILE_SLUG_PATTERN.source}), not ${JSON.stringify(profile)}`);
      }
      const document = await parseFile(positionals[0], await readDocument(positionals[0]));
      // On stderr, before anything is decided: they hold for the file whatever becomes of the import.
      for (const warning of document.warnings) process.stderr.write(`gatehouse import: warning: ${warning}\n`);
      const options = { profile, dryRun: values['dry-run'] === true };
      const result = await withApplication((app) => app.commands.importDocument(document, options, cliCommandContext()));
      for (const warning of result.people?.warnings ?? []) process.stderr.write(`gatehouse import: warning: ${warning}\n`);
      out(values.json ? JSON.stringify(result, null, 2) : summary(result));
      return 0;
    }),
};
