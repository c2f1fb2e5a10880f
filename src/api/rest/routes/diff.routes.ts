import Router from '@koa/router';
import type { Context } from 'koa';
import type { Application } from '../../../infrastructure/application';
import { configurationAt, diffConfig, type ConfigScope } from '../../../infrastructure/readmodels/history';
import { parseAt, queryString } from '../http';
import { notFound, ProblemError } from '../problem';

/**
 * GET /api/diff?from=&to=[&profile=<slug>|&server=<idOrName>]: the configuration at two moments
 * (positions, ISO-8601 times or `now`; `to` defaults to now) and what changed between them, leaf by
 * leaf. Secrets are masked on both sides, as everywhere in the API.
 */
export const diffRoutes = ({ queries, store }: Application): Router => {
  const router = new Router({ prefix: '/api/diff' });

  const scopeOf = async (ctx: Context): Promise<{ scope: ConfigScope; label: Record<string, string> }> => {
    const slug = queryString(ctx, 'profile', 63);
    const serverName = queryString(ctx, 'server', 64);
    if (slug !== undefined && serverName !== undefined) throw new ProblemError(400, 'INVALID_QUERY', 'Give profile or server, not both');
    if (slug !== undefined) {
      const row = await queries.profiles.findBySlug(slug, { includeDeleted: true });
      if (!row) throw notFound(`Profile "${slug}"`, 'PROFILE_NOT_FOUND');
      return { scope: { kind: 'profile', profileId: row.id }, label: { profile: row.slug } };
    }
    if (serverName !== undefined) {
      const row = await queries.servers.find(serverName, { includeRemoved: true });
      if (!row) throw notFound(`Server "${serverName}"`, 'SERVER_NOT_FOUND');
      return { scope: { kind: 'server', serverId: row.id }, label: { server: row.name } };
    }
    return { scope: { kind: 'all' }, label: {} };
  };

  router.get('/', async (ctx) => {
    // `now` (or no `to`): the head of the log, so that "now → position" previews a restore.
    const positionOf = async (value: unknown): Promise<number | undefined> => {
      if (value === 'now') return store.headPosition();
      const at = parseAt(value);
      return at === undefined ? undefined : queries.position(at);
    };
    const from = await positionOf(ctx.query.from);
    if (from === undefined) throw new ProblemError(400, 'INVALID_QUERY', 'from is required: a position, an ISO-8601 time or now', [{ field: 'from', messages: ['is required'] }]);
    const to = (await positionOf(ctx.query.to)) ?? (await store.headPosition());
    const { scope, label } = await scopeOf(ctx);
    const before = await configurationAt(store, from, scope);
    const after = await configurationAt(store, to, scope);
    ctx.body = { from, to, ...label, before, after, changes: diffConfig(before, after) };
  });

  return router;
};
