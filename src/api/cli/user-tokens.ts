import type { Application } from '../../infrastructure/application';
import { patView } from '../../infrastructure/readmodels/pat';
import { cliCommandContext, formatTable, out, UsageError, withApplication } from './cli-support';

/** As the domain reads it: a date, or a date-time with an explicit offset. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

export type TokenOptions = { name?: string; expires?: string; json?: boolean };

const userOf = async (app: Application, key: string | undefined) => {
  if (key === undefined) throw new UsageError('give the name or id of a user (see `gatehouse users list`)');
  const row = await app.queries.users.byIdOrName(key);
  if (row === null) throw new UsageError(`no user "${key}" (see \`gatehouse users list\`)`);
  return row;
};

const create = async (userKey: string | undefined, options: TokenOptions): Promise<number> => {
  if (options.name === undefined) throw new UsageError('token create needs --name <name>');
  if (options.expires !== undefined && (!ISO_INSTANT.test(options.expires) || Number.isNaN(Date.parse(options.expires)))) {
    throw new UsageError('--expires must be an ISO 8601 date (2027-01-31) or date-time with offset (2027-01-31T12:00:00Z)');
  }
  const { view, token, user } = await withApplication(async (app) => {
    const owner = await userOf(app, userKey);
    const issued = await app.commands.personalAccessTokens.issue({ userId: owner.id, name: options.name as string, expiresAt: options.expires ?? null }, cliCommandContext());
    const row = await app.queries.personalAccessTokens.find(issued.tokenId);
    if (row === null) throw new Error(`the token ${issued.tokenId} was issued but is not in the read model; run \`gatehouse rebuild\``);
    return { view: patView(row), token: issued.token, user: owner.name };
  });
  if (options.json) out(JSON.stringify({ ...view, token }, null, 2));
  else {
    out(`created personal access token ${view.id} "${view.name}" for ${user}${view.expiresAt ? `, expires ${view.expiresAt}` : ''}`);
    out('the token (shown only this once; store it now):');
    out(token);
  }
  return 0;
};

const list = async (userKey: string | undefined, options: TokenOptions): Promise<number> => {
  const views = await withApplication(async (app) => (await app.queries.personalAccessTokens.ownedBy((await userOf(app, userKey)).id)).map((row) => patView(row)));
  if (options.json) out(JSON.stringify({ tokens: views }, null, 2));
  else if (views.length === 0) process.stderr.write('no personal access tokens\n');
  else out(formatTable(['ID', 'NAME', 'PREFIX', 'STATUS', 'EXPIRES', 'CREATED'], views.map((view) => [view.id, view.name, `${view.prefix}…`, view.status, view.expiresAt ?? 'never', view.createdAt])));
  return 0;
};

const revoke = async (userKey: string | undefined, tokenId: string | undefined): Promise<number> => {
  if (tokenId === undefined) throw new UsageError('token revoke needs the user and the id of the token (see `gatehouse users token list <user>`)');
  const result = await withApplication(async (app) => app.commands.personalAccessTokens.revoke((await userOf(app, userKey)).id, tokenId, cliCommandContext()));
  out(result.events.length > 0 ? `revoked personal access token ${tokenId}` : `personal access token ${tokenId} was already revoked`);
  return 0;
};

/** `gatehouse users token create|list|revoke <user> …`: the operator's side of /api/me/tokens. */
export const tokenAction = (args: readonly string[], options: TokenOptions): Promise<number> => {
  const [action, user, ...rest] = args;
  const arity = action === 'revoke' ? 1 : 0;
  if (rest.length > arity) throw new UsageError(`unexpected argument "${rest[arity]}"`);
  if (action !== 'create' && (options.name !== undefined || options.expires !== undefined)) throw new UsageError('--name and --expires belong to `users token create`');
  switch (action) {
    case 'create':
      return create(user, options);
    case 'list':
      return list(user, options);
    case 'revoke':
      return revoke(user, rest[0]);
    default:
      throw new UsageError(action === undefined ? 'give a token action: create, list or revoke' : `unknown token action "${action}"`);
  }
};
