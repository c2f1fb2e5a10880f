import { randomBytes } from 'node:crypto';
import type { Role } from '../../domain/user';
import { assertRole } from '../../domain/user';
import type { Application } from '../../infrastructure/application';
import { userView, type UserView } from '../../infrastructure/readmodels/user';
import type { CliCommand } from './cli-command';
import { tokenAction } from './user-tokens';
import { cliCommandContext, formatTable, HELP_OPTION, out, parseCommandLine, runCommand, UsageError, withApplication } from './cli-support';

const USAGE = `Usage: gatehouse users create <name> [--role owner|admin|member] [--password-stdin] [--json]
       gatehouse users list [--json]
       gatehouse users role <name|id> <owner|admin|member>
       gatehouse users password <name|id> [--password-stdin]
       gatehouse users disable <name|id>
       gatehouse users enable <name|id>
       gatehouse users token create <name|id> --name <token name> [--expires <ISO 8601>] [--json]
       gatehouse users token list <name|id> [--json]
       gatehouse users token revoke <name|id> <token id>

People who sign in to Gatehouse. Roles: owner (manages users, and everything an admin does),
admin (servers, profiles, keys), member (the profiles shared with it or owned by it).
A password is read from stdin with --password-stdin (never from an argument: argv is visible
in \`ps\`); without it a random one is generated and printed once. A disabled user's sessions
and tokens stop working at once. The last enabled owner can be neither demoted nor disabled.
A personal access token acts on the REST API as its user, with the user's role
("Authorization: Bearer ghp_…"); \`token create\` prints it once, only its hash is stored.

Options:
  --role <role>       the role of a new user (default: member)
  --password-stdin    read the password from stdin (at least 12 characters)
  --name <name>       token create: a name for people to recognise the token
  --expires <time>    token create: when the token stops working (default: never)
  --json              print JSON instead of text
  -h, --help          show this help
`;

type Options = { role?: string; 'password-stdin'?: boolean; json?: boolean; name?: string; expires?: string };

const readStdin = async (): Promise<string> => {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.length > 4096) throw new UsageError('stdin holds more than a password');
  }
  return text.replace(/\r?\n$/, '');
};

/** The given password, or a generated one (returned so that it is printed once). */
const passwordFrom = async (options: Options): Promise<{ password: string; generated: boolean }> =>
  options['password-stdin'] ? { password: await readStdin(), generated: false } : { password: randomBytes(18).toString('base64url'), generated: true };

const parseRole = (value: string | undefined): Role => {
  if (value === undefined) throw new UsageError('give a role: owner, admin or member');
  try {
    assertRole(value);
  } catch {
    throw new UsageError(`unknown role "${value}": owner, admin or member`);
  }
  return value;
};

const requireUser = async (app: Application, key: string | undefined) => {
  if (key === undefined) throw new UsageError('give the name or id of a user (see `gatehouse users list`)');
  const row = await app.queries.users.byIdOrName(key);
  if (row === null) throw new UsageError(`no user "${key}" (see \`gatehouse users list\`)`);
  return row;
};

const create = async (name: string | undefined, options: Options): Promise<number> => {
  if (name === undefined) throw new UsageError('create needs the name of the user');
  const role = options.role === undefined ? 'member' : parseRole(options.role);
  const { password, generated } = await passwordFrom(options);
  const view = await withApplication(async (app) => {
    const { userId } = await app.commands.users.register({ name, role, password }, cliCommandContext());
    const row = await app.queries.users.byId(userId);
    if (row === null) throw new Error(`the user ${userId} was registered but is not in the read model; run \`gatehouse rebuild\``);
    return userView(row);
  });
  if (options.json) out(JSON.stringify({ ...view, ...(generated ? { password } : {}) }, null, 2));
  else {
    out(`created ${view.role} ${view.name} (${view.id})`);
    if (generated) out(`password (shown only this once; change it after signing in):\n${password}`);
  }
  return 0;
};

const list = async (options: Options): Promise<number> => {
  const views: UserView[] = await withApplication(async (app) => (await app.queries.users.list()).map(userView));
  if (options.json) out(JSON.stringify({ users: views }, null, 2));
  else if (views.length === 0) process.stderr.write('no users\n');
  else out(formatTable(['ID', 'NAME', 'ROLE', 'STATUS', 'CREATED'], views.map((view) => [view.id, view.name, view.role, view.status, view.createdAt])));
  return 0;
};

/** One change to one user, reported as done or as already so. */
const change = async (key: string | undefined, work: (app: Application, userId: string) => Promise<{ events: readonly unknown[] }>, done: string, already: string): Promise<number> => {
  const name = await withApplication(async (app) => {
    const row = await requireUser(app, key);
    const result = await work(app, row.id);
    return { name: row.name, changed: result.events.length > 0 };
  });
  out(`${name.name}: ${name.changed ? done : already}`);
  return 0;
};

const ARITY: Readonly<Record<string, number>> = { create: 1, list: 0, role: 2, password: 1, disable: 1, enable: 1 };

export const usersCommand: CliCommand = {
  run: (argv) =>
    runCommand('users', USAGE, async () => {
      const { values, positionals } = parseCommandLine({
        args: [...argv],
        options: { ...HELP_OPTION, role: { type: 'string' }, 'password-stdin': { type: 'boolean' }, json: { type: 'boolean' }, name: { type: 'string' }, expires: { type: 'string' } },
        allowPositionals: true,
      });
      if (values.help) return (out(USAGE), 0);
      const [action, ...rest] = positionals;
      if (action === undefined) throw new UsageError('give an action: create, list, role, password, disable, enable or token');
      if (action === 'token') {
        if (values.role !== undefined || values['password-stdin']) throw new UsageError('--role and --password-stdin do not belong to `users token`');
        return tokenAction(rest, values);
      }
      if (values.name !== undefined || values.expires !== undefined) throw new UsageError('--name and --expires belong to `users token create`');
      const arity = ARITY[action];
      if (arity === undefined) throw new UsageError(`unknown action "${action}"`);
      if (rest.length > arity) throw new UsageError(`unexpected argument "${rest[arity]}"`);
      if (action !== 'create' && values.role !== undefined) throw new UsageError('--role belongs to `users create` (use `users role <name> <role>`)');
      if (values['password-stdin'] && action !== 'create' && action !== 'password') throw new UsageError('--password-stdin belongs to `users create` and `users password`');
      const context = cliCommandContext();
      switch (action) {
        case 'create':
          return create(rest[0], values);
        case 'list':
          return list(values);
        case 'role': {
          const role = parseRole(rest[1]);
          return change(rest[0], (app, id) => app.commands.users.changeRole(id, role, context), `role is now ${role}`, `already ${role}`);
        }
        case 'password': {
          const { password, generated } = await passwordFrom(values);
          const code = await change(rest[0], (app, id) => app.commands.users.changePassword(id, password, context), 'password changed', 'password changed');
          if (generated) out(`new password (shown only this once):\n${password}`);
          return code;
        }
        case 'disable':
          return change(rest[0], (app, id) => app.commands.users.disable(id, context), 'disabled (its sessions and tokens no longer work)', 'already disabled');
        default:
          return change(rest[0], (app, id) => app.commands.users.enable(id, context), 'enabled', 'already enabled');
      }
    }),
};
