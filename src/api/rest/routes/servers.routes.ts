import Router from '@koa/router';
import '@koa/bodyparser';
import * as server from '../../../domain/server';
import { loadStateAt } from '../../../infrastructure/commands/handle-command';
import type { GatehouseContext } from '../../../infrastructure/commands/context';
import { reconfigureServer, registerServer, removeServer, revertServer } from '../../../infrastructure/commands/server.commands';
import { eventView, resolvePosition } from '../../../infrastructure/queries/history.queries';
import { findServerRow, listServerRows, listServerTools } from '../../../infrastructure/queries/server.queries';
import { serverRowToView, snapshotToView } from '../../../infrastructure/queries/server.view';
import type { UpstreamHealth } from '../../../infrastructure/upstream';
import { CreateServerDto, UpdateServerDto } from '../dto/server.dto';
import { RevertDto } from '../dto/profile.dto';
import { commandContext, parseAt, sendResource } from '../http';
import { notFound } from '../problem';
import { validateBody } from '../validation';

/** Upstream health as the proxy sees it; an empty list when nothing is connected. */
export type ServerRuntime = (serverId: string) => readonly UpstreamHealth[];

const runtimeView = (runtime: ServerRuntime | undefined, serverId: string) => {
  const connections = runtime?.(serverId) ?? [];
  const first = connections[0];
  return {
    runtime: {
      status: first?.status ?? 'idle',
      lastError: first?.lastError ?? null,
      stderrTail: first?.stderrTail ?? '',
      restarts: connections.reduce((sum, c) => sum + c.restarts, 0),
      connections: connections.length,
      pids: connections.map((c) => c.pid).filter((pid) => pid !== null),
    },
  };
};

/** A server's OAuth state in brief (status such as `auth_required`, reason, expiry); null: not shown. */
export type ServerOAuthSummary = (serverId: string) => Readonly<{ status: string; reason: string | null; expiresAt: string | null }> | null;

export const serverRoutes = (app: GatehouseContext, runtime?: ServerRuntime, oauthSummary?: ServerOAuthSummary): Router => {
  const router = new Router({ prefix: '/api/servers' });

  const requireServer = async (idOrName: string, includeRemoved = false) => {
    const row = await findServerRow(app.dataSource, idOrName, { includeRemoved });
    if (!row) throw notFound(`Server "${idOrName}"`, 'SERVER_NOT_FOUND');
    return row;
  };

  const currentView = async (serverId: string) => serverRowToView(await requireServer(serverId, true));

  router.post('/', async (ctx) => {
    const dto = validateBody(CreateServerDto, ctx.request.body);
    const result = await registerServer(app, dto, commandContext(ctx));
    const serverId = (result.events[0]?.data as { serverId: string } | undefined)?.serverId;
    const view = await currentView(serverId ?? '');
    ctx.set('Location', `/api/servers/${view.id}`);
    sendResource(ctx, view, 201);
  });

  router.get('/', async (ctx) => {
    const rows = await listServerRows(app.dataSource, { includeRemoved: ctx.query.include === 'removed' });
    ctx.body = { servers: rows.map(serverRowToView) };
  });

  router.get('/:idOrName', async (ctx) => {
    const at = parseAt(ctx.query.at);
    if (at === undefined) {
      const row = await requireServer(ctx.params.idOrName);
      const oauth = oauthSummary?.(row.id) ?? null;
      sendResource(ctx, { ...serverRowToView(row), ...runtimeView(runtime, row.id), ...(oauth === null ? {} : { oauth }) });
      return;
    }
    const row = await requireServer(ctx.params.idOrName, true);
    const position = resolvePosition(app.sql, at);
    const { state, version } = await loadStateAt(app.store, server.serverDecider, server.serverStreamId(row.id), position);
    const snapshot = server.snapshotOf(state);
    if (snapshot === null) throw notFound(`Server "${ctx.params.idOrName}" at position ${position}`, 'SERVER_NOT_FOUND');
    sendResource(ctx, { ...snapshotToView(snapshot, 'active', version), at: position });
  });

  router.patch('/:idOrName', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName);
    const dto = validateBody(UpdateServerDto, ctx.request.body);
    await reconfigureServer(app, row.id, dto, commandContext(ctx));
    sendResource(ctx, await currentView(row.id));
  });

  router.delete('/:idOrName', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName);
    await removeServer(app, row.id, commandContext(ctx));
    ctx.status = 204;
  });

  router.get('/:idOrName/tools', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName);
    ctx.body = { serverId: row.id, tools: await listServerTools(app.dataSource, row.id) };
  });

  router.get('/:idOrName/history', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName, true);
    const events = await app.store.readStream(server.serverStreamId(row.id));
    ctx.body = { serverId: row.id, events: events.map(eventView) };
  });

  router.post('/:idOrName/revert', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName, true);
    const { to } = validateBody(RevertDto, ctx.request.body);
    const result = await revertServer(app, row.id, to, commandContext(ctx));
    sendResource(ctx, { ...(await currentView(row.id)), appended: result.events.map(eventView) });
  });

  return router;
};
