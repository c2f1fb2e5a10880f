import type { CliCommand } from './cli-command';
import { cliCommandContext, formatTable, HELP_OPTION, out, parseCommandLine, runCommand, UsageError, withApplication } from './cli-support';

const USAGE = `Usage: gatehouse keys create --name <name> --profiles <slug,slug…|*> [--expires <ISO 8601>] [--json]
       gatehouse keys list [--json]
       gatehouse keys revoke <id>

API keys open profiles' MCP endpoints. \`create\` prints the key once: only its hash is
stored. --profiles takes profile slugs, or "*" (quoted in the shell) for every profile.
--expires takes a date (2027-01-31) or a date-time with an offset (2027-01-31T12:00:00Z).

Options:
  --name <name>       a name for people to recognise the key
  --profiles <list>   comma-separated profile slugs, or "*"
  --expires <time>    when the key stops working (default: never)
  --json              print JSON instead of text
  -h, --help          show this help
`;

/** As the domain reads it: a date, or a date-time with an explicit offset. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

const parseProfiles = (value: string | undefined): string[] => {
  if (value === undefined) throw new UsageError('create needs --profiles <slug,slug…|*>');
  const profiles = value.split(',').map((slug) => slug.trim()).filter((slug) => slug !== '');
  if (profiles.length === 0) throw new UsageError('--profiles must name at least one profile, or "*"');
  return profiles;
};

const parseExpiry = (value: string | undefined): string | null => {
  if (value === undefined) return null;
  if (!ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw new UsageError('--expires must be an ISO 8601 date (2027-01-31) or date-time with offset (2027-01-31T12:00:00Z)');
  }
  return value;
};

type Options = { name?: string; profiles?: string; expires?: string; json?: boolean };

const create = async (options: Options): Promise<number> => {
  if (options.name === undefined) throw new UsageError('create needs --name <name>');
  const input = { name: options.name, profiles: parseProfiles(options.profiles), expiresAt: parseExpiry(options.expires) };
  const { view, key } = await withApplication(async (app) => {
    const issued = await app.commands.apiKeys.issue(input, cliCommandContext());
    const row = await app.queries.apiKeys.find(issued.keyId);
    if (row === null) throw new Error(`the key ${issued.keyId} was issued but is not in the read model; run \`gatehouse rebuild\``);
    return { view: await app.queries.apiKeys.view(row), key: issued.key };
  });
  if (options.json) {
    out(JSON.stringify({ ...view, key }, null, 2));
  } else {
    out(`created API key ${view.id} "${view.name}" for ${view.profiles.join(', ')}${view.expiresAt ? `, expires ${view.expiresAt}` : ''}`);
    out('the key (shown only this once; store it now):');
    out(key);
  }
  return 0;
};

const list = async (options: Options): Promise<number> => {
  const views = await withApplication(async (app) => Promise.all((await app.queries.apiKeys.list()).map((row) => app.queries.apiKeys.view(row))));
  if (options.json) out(JSON.stringify({ keys: views }, null, 2));
  else if (views.length === 0) process.stderr.write('no API keys\n');
  else {
    out(formatTable(
      ['ID', 'NAME', 'PREFIX', 'PROFILES', 'STATUS', 'EXPIRES', 'CREATED'],
      views.map((view) => [view.id, view.name, `${view.prefix}…`, view.profiles.join(','), view.status, view.expiresAt ?? 'never', view.createdAt]),
    ));
  }
  return 0;
};

const revoke = async (id: string | undefined): Promise<number> => {
  if (id === undefined) throw new UsageError('revoke needs the id of the key (see `gatehouse keys list`)');
  const result = await withApplication((app) => app.commands.apiKeys.revoke(id, cliCommandContext()));
  out(result.events.length > 0 ? `revoked API key ${id}` : `API key ${id} was already revoked`);
  return 0;
};

export const keysCommand: CliCommand = {
  run: (argv) =>
    runCommand('keys', USAGE, async () => {
      const { values, positionals } = parseCommandLine({
        args: [...argv],
        options: { ...HELP_OPTION, name: { type: 'string' }, profiles: { type: 'string' }, expires: { type: 'string' }, json: { type: 'boolean' } },
        allowPositionals: true,
      });
      if (values.help) return (out(USAGE), 0);
      const [action, ...rest] = positionals;
      const expected = action === 'revoke' ? 1 : 0;
      if (action !== undefined && rest.length > expected) throw new UsageError(`unexpected argument "${rest[expected]}"`);
      if (action !== 'create' && (values.name !== undefined || values.profiles !== undefined || values.expires !== undefined)) {
        throw new UsageError('--name, --profiles and --expires belong to `keys create`');
      }
      switch (action) {
        case 'create':
          return create(values);
        case 'list':
          return list(values);
        case 'revoke':
          return revoke(rest[0]);
        default:
          throw new UsageError(action === undefined ? 'give an action: create, list or revoke' : `unknown action "${action}"`);
      }
    }),
};
