import { realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig, type GatehouseConfig } from '../../infrastructure/config/config';
import type { CliCommand } from './cli-command';
import { cliCommandContext, HELP_OPTION, out, parseCommandLine, runCommand, UsageError, withApplication } from './cli-support';

const CLIENTS = ['claude-desktop', 'cursor', 'vscode', 'inspector'] as const;
type Client = (typeof CLIENTS)[number];
type Transport = 'http' | 'stdio';

const USAGE = `Usage: gatehouse connect --profile <slug> --client <${CLIENTS.join('|')}> [--transport http|stdio] [--new-key]

Prints what a client needs to use a profile, ready to paste: the JSON for its configuration
file, or the command line for the MCP Inspector. Where the file goes:

  claude-desktop  claude_desktop_config.json (Settings → Developer → Edit Config); stdio by default
  cursor          ~/.cursor/mcp.json, or .cursor/mcp.json in a project
  vscode          .vscode/mcp.json in a workspace
  inspector       a command to run here (the Inspector's CLI, installed with Gatehouse)

HTTP clients need an API key when the profile asks for one: --new-key issues one for this
client and puts it in the configuration (it is shown only there). stdio runs \`gatehouse stdio\`
with absolute paths and this data directory, because clients start servers with a minimal
environment; it needs no key (whoever can run it can read the database) and no running server.

Options:
  --profile <slug>        the profile to connect to
  --client <name>         ${CLIENTS.join(', ')}
  --transport http|stdio  how the client reaches Gatehouse (default: stdio for claude-desktop, else http)
  --new-key               issue an API key for this client and include it
  -h, --help              show this help
`;

/** The bin a client should start: the one this process was started as (absolute, links resolved). */
const gatehouseBin = (): string => realpathSync(resolve(process.argv[1] ?? 'bin/gatehouse.js'));
/** The Inspector's CLI looks for its package.json relative to the working directory: it runs from its own. */
const INSPECTOR_DIR = (): string => join(dirname(require.resolve('@modelcontextprotocol/inspector-cli/package.json')), 'build');

type Target = { url: string; key: string | null; keyRequired: boolean };

const stdioEntry = (config: GatehouseConfig, slug: string) => ({
  command: process.execPath,
  args: [gatehouseBin(), 'stdio', '--profile', slug],
  env: { GATEHOUSE_DATA_DIR: config.dataDir, ...(config.database === join(config.dataDir, 'gatehouse.db') ? {} : { GATEHOUSE_DATABASE: config.database }) },
});

const authHeaders = (target: Target): Record<string, string> =>
  target.keyRequired ? { Authorization: `Bearer ${target.key ?? '<API key: run again with --new-key>'}` } : {};

/** For a POSIX shell: as it is when it is plain, else in single quotes. */
const quote = (text: string): string => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/** The text to print for a client. */
const render = (client: Client, transport: Transport, name: string, config: GatehouseConfig, slug: string, target: Target): string => {
  const json = (value: unknown): string => JSON.stringify(value, null, 2);
  if (client === 'inspector') {
    const server = transport === 'stdio'
      ? [...Object.entries(stdioEntry(config, slug).env).flatMap(([key, value]) => ['-e', `${key}=${value}`]), process.execPath, gatehouseBin(), 'stdio', '--profile', slug]
      : [target.url, '--transport', 'http', ...Object.entries(authHeaders(target)).flatMap(([header, value]) => ['--header', `${header}: ${value}`])];
    return `(cd ${quote(INSPECTOR_DIR())} && ${[process.execPath, 'index.js', ...server, '--method', 'tools/list'].map(quote).join(' ')})`;
  }
  const http = { url: target.url, ...(target.keyRequired ? { headers: authHeaders(target) } : {}) };
  if (client === 'vscode') return json({ servers: { [name]: transport === 'stdio' ? { type: 'stdio', ...stdioEntry(config, slug) } : { type: 'http', ...http } } });
  if (client === 'cursor') return json({ mcpServers: { [name]: transport === 'stdio' ? stdioEntry(config, slug) : http } });
  // Claude Desktop's file takes commands only; a remote URL goes through the mcp-remote bridge.
  if (transport === 'stdio') return json({ mcpServers: { [name]: stdioEntry(config, slug) } });
  return json({ mcpServers: { [name]: { command: 'npx', args: ['-y', 'mcp-remote', target.url, ...Object.entries(authHeaders(target)).flatMap(([header, value]) => ['--header', `${header}: ${value}`])] } } });
};

const parseClient = (value: string | undefined): Client => {
  if (value === undefined) throw new UsageError(`give --client: ${CLIENTS.join(', ')}`);
  if (!(CLIENTS as readonly string[]).includes(value)) throw new UsageError(`unknown client "${value}": ${CLIENTS.join(', ')}`);
  return value as Client;
};

const parseTransport = (value: string | undefined, client: Client): Transport => {
  if (value === undefined) return client === 'claude-desktop' ? 'stdio' : 'http';
  if (value !== 'http' && value !== 'stdio') throw new UsageError(`--transport must be http or stdio, not "${value}"`);
  return value;
};

export const connectCommand: CliCommand = {
  run: (argv) =>
    runCommand('connect', USAGE, async () => {
      const { values, positionals } = parseCommandLine({
        args: [...argv],
        options: { ...HELP_OPTION, profile: { type: 'string', short: 'p' }, client: { type: 'string' }, transport: { type: 'string' }, 'new-key': { type: 'boolean' } },
        allowPositionals: true,
      });
      if (values.help) return (out(USAGE), 0);
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      if (values.profile === undefined) throw new UsageError('give --profile <slug>');
      const client = parseClient(values.client);
      const transport = parseTransport(values.transport, client);
      if (values['new-key'] && transport === 'stdio') throw new UsageError('--new-key is for HTTP: stdio needs no key');
      const config = loadConfig();
      const slug = values.profile;
      const target = await withApplication(async (app): Promise<Target> => {
        const profile = await app.queries.profiles.findBySlug(slug);
        if (profile === null) throw new Error(`no profile "${slug}" (\`gatehouse history --type ProfileCreated\` lists them)`);
        const keyRequired = profile.authApiKey === 1;
        const url = `${config.publicUrl}/mcp/${encodeURIComponent(slug)}`;
        if (!values['new-key'] || !keyRequired) return { url, key: null, keyRequired };
        const issued = await app.commands.apiKeys.issue({ name: `${client} (gatehouse connect)`, profiles: [slug], expiresAt: null }, cliCommandContext());
        return { url, key: issued.key, keyRequired };
      });
      out(render(client, transport, `gatehouse-${slug}`, config, slug, target));
      if (transport === 'http' && target.keyRequired && target.key === null) process.stderr.write('gatehouse connect: the profile needs an API key: run again with --new-key, or put one of yours in place of the placeholder\n');
      if (transport === 'http') process.stderr.write(`gatehouse connect: ${target.url} answers while \`gatehouse serve\` runs\n`);
      if (transport === 'stdio' && config.secretKey !== undefined) process.stderr.write('gatehouse connect: GATEHOUSE_SECRET_KEY is set here: the client\'s env needs it too (it is not printed)\n');
      return 0;
    }),
};
