import Router from '@koa/router';
import type { Context } from 'koa';
import '@koa/bodyparser';
import * as server from '../../../domain/server';
import type { Application } from '../../../infrastructure/application';
import { eventView } from '../../../infrastructure/eventstore';
import { approvedToolsOf, serverRowToView, snapshotToView } from '../../../infrastructure/readmodels/server';
import { isUpstreamError, type UpstreamHealth } from '../../../infrastructure/upstream';
import { ApproveToolsDto, CreateServerDto, UpdateServerDto } from '../dto/server.dto';
import { RevertDto } from '../dto/profile.dto';
import { commandContext, parseAt, sendResource } from '../http';
import { notFound, ProblemError } from '../problem';
import { validateBody } from '../validation';
import { assertCanUse, assertNotMember, userIdOf, viewerOf } from '../viewer';
import { accessRoutes } from './access.routes';
import { credentialRoutes, type OwnRefreshFailure, type RevokeOwnGrant } from './credentials.routes';
import { errorMessage } from '../../../domain/shared';

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
      /** Of the connection whose status is shown: attempts failed since it last served (see UpstreamHealth). */
      failedAttempts: first?.failedAttempts ?? 0,
      connections: connections.length,
      pids: connections.map((c) => c.pid).filter((pid) => pid !== null),
      /** The MCP revision negotiated with the upstream (null until connected). */
      protocolVersion: connections.find((c) => c.protocolVersion !== null)?.protocolVersion ?? null,
    },
  };
};

/**
 * A server's OAuth state in brief (status such as `auth_required`, reason, expiry, and whether
 * the upstream is known to do OAuth, so that an authorization can be offered); null: not shown.
 */
export type ServerOAuthSummary = (serverId: string) => Promise<Readonly<{ status: string; reason: string | null; expiresAt: string | null; available: boolean }> | null>;

/** Connects to a server and lists its tools now; the number listed, null when the server is not active. */
export type DiscoverTools = (serverId: string, deadlineMs: number) => Promise<number | null>;

const DISCOVERY_DEADLINE_MS = 30_000;

export const serverRoutes = (app: Application, runtime?: ServerRuntime, oauthSummary?: ServerOAuthSummary, discover?: DiscoverTools, revokeOwnGrant?: RevokeOwnGrant, ownRefreshFailure?: OwnRefreshFailure): Router => {
  const { queries, commands, store } = app;
  const router = new Router({ prefix: '/api/servers' });

  const requireServer = async (idOrName: string, includeRemoved = false) => {
    const row = await queries.servers.find(idOrName, { includeRemoved });
    if (!row) throw notFound(`Server "${idOrName}"`, 'SERVER_NOT_FOUND');
    return row;
  };

  /** A server the caller may see: members only theirs and those shared with them (others are "not found"). */
  const requireVisibleServer = async (ctx: Context, idOrName: string) => {
    const row = await requireServer(idOrName);
    await assertCanUse(queries, ctx, 'server', row.id, notFound(`Server "${idOrName}"`, 'SERVER_NOT_FOUND'));
    return row;
  };

  const currentView = async (serverId: string) => serverRowToView(await requireServer(serverId, true));

  router.post('/', async (ctx) => {
    const { approveFirstDiscovery, ...input } = validateBody(CreateServerDto, ctx.request.body);
    const { serverId } = await commands.servers.register(input, commandContext(ctx), undefined, { approveFirstDiscovery });
    const creator = userIdOf(ctx);
    if (creator !== null) await commands.access.own('server', serverId, creator, commandContext(ctx));
    const view = await currentView(serverId);
    ctx.set('Location', `/api/servers/${view.id}`);
    sendResource(ctx, view, 201);
  });

  router.get('/', async (ctx) => {
    const rows = await queries.servers.list({ includeRemoved: ctx.query.include === 'removed' });
    // The live status too (in memory, cheap): the console's list shows it.
    const visible = new Set(await queries.access.visible(viewerOf(ctx), 'server', rows.map((row) => row.id)));
    ctx.body = { servers: rows.filter((row) => visible.has(row.id)).map((row) => ({ ...serverRowToView(row), ...runtimeView(runtime, row.id) })) };
  });

  router.get('/:idOrName', async (ctx) => {
    const at = parseAt(ctx.query.at);
    if (at === undefined) {
      const row = await requireVisibleServer(ctx, ctx.params.idOrName);
      const oauth = (await oauthSummary?.(row.id)) ?? null;
      sendResource(ctx, { ...serverRowToView(row), ...runtimeView(runtime, row.id), ...(oauth === null ? {} : { oauth }) });
      return;
    }
    assertNotMember(ctx, 'time travel');
    const row = await requireServer(ctx.params.idOrName, true);
    const position = await queries.position(at);
    const past = await queries.serverAt(row.id, position);
    if (past === null) throw notFound(`Server "${ctx.params.idOrName}" at position ${position}`, 'SERVER_NOT_FOUND');
    // The pinning's approvals as they were then (names and hashes; the definitions are in the history).
    const approvedTools = past.approvedTools.map(({ name, hash }) => ({ name, hash }));
    sendResource(ctx, { ...snapshotToView(past.snapshot, 'active', past.version), approvedTools, at: position });
  });

  router.patch('/:idOrName', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName);
    const dto = validateBody(UpdateServerDto, ctx.request.body);
    await commands.servers.reconfigure(row.id, dto, commandContext(ctx));
    sendResource(ctx, await currentView(row.id));
  });

  router.delete('/:idOrName', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName);
    await commands.servers.remove(row.id, commandContext(ctx));
    ctx.status = 204;
  });

  router.get('/:idOrName/tools', async (ctx) => {
    const row = await requireVisibleServer(ctx, ctx.params.idOrName);
    ctx.body = { serverId: row.id, tools: await queries.tools.listForServer(row.id) };
  });

  /** Discovery on demand (the console's "Discover tools"); the tools are recorded as when a client lists them. */
  router.post('/:idOrName/discover', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName);
    if (!discover) throw new ProblemError(409, 'DISCOVERY_UNAVAILABLE', 'This process does not connect to upstream servers');
    let listed: number | null;
    try {
      listed = await discover(row.id, DISCOVERY_DEADLINE_MS);
    } catch (error) {
      if (isUpstreamError(error, 'UPSTREAM_NO_CREDENTIALS')) {
        throw new ProblemError(409, 'PER_USER_SERVER', `Server "${row.name}" is reached with each user's own credentials: its tools are discovered when a user who has set theirs lists them`);
      }
      throw new ProblemError(502, 'UPSTREAM_UNAVAILABLE', `Server "${row.name}" did not list its tools: ${errorMessage(error)}`);
    }
    if (listed === null) throw notFound(`Server "${ctx.params.idOrName}"`, 'SERVER_NOT_FOUND');
    ctx.body = { serverId: row.id, listed, ...runtimeView(runtime, row.id) };
  });

  /** The tools pinning holds back, each with its approved and current definition and what changed. */
  router.get('/:idOrName/tools/pending', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName);
    const current = await queries.tools.definitionsForServer(row.id);
    ctx.body = { serverId: row.id, toolPinning: row.toolPinning, pending: server.pendingTools(row.toolPinning, approvedToolsOf(row), current) };
  });

  router.post('/:idOrName/tools/approve', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName);
    const { tools } = validateBody(ApproveToolsDto, ctx.request.body ?? {});
    const result = await commands.servers.approveTools(row.id, tools, commandContext(ctx));
    const approved = result.events.flatMap((event) => (event.type === 'ToolDefinitionApproved' ? (event.data as server.ToolDefinitionApproved['data']).tools.map((tool) => tool.name) : []));
    ctx.body = { serverId: row.id, approved, appended: result.events.map(eventView) };
  });

  /** One tool's definition over time, from the server's stream: when the upstream added, changed or dropped it, and approvals. */
  router.get('/:idOrName/tools/:tool/history', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName, true);
    const name = ctx.params.tool;
    if (name.length > 256) throw new ProblemError(400, 'INVALID_TOOL_NAME', 'Tool names are at most 256 characters');
    const history = (await queries.toolHistories(row.id)).get(name);
    if (history === undefined) throw notFound(`Tool "${name}" of server "${row.name}"`, 'TOOL_NOT_FOUND');
    ctx.body = { serverId: row.id, ...history };
  });

  router.get('/:idOrName/history', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName, true);
    const events = await store.readStream(server.serverStreamId(row.id));
    ctx.body = { serverId: row.id, events: events.map(eventView) };
  });

  router.post('/:idOrName/revert', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName, true);
    const { to } = validateBody(RevertDto, ctx.request.body);
    const result = await commands.servers.revert(row.id, to, commandContext(ctx));
    sendResource(ctx, { ...(await currentView(row.id)), appended: result.events.map(eventView) });
  });

  accessRoutes(router, app, 'server', async (key) => (await requireServer(key)).id);
  credentialRoutes(router, app, async (ctx, key) => (await requireVisibleServer(ctx, key)).id, revokeOwnGrant, ownRefreshFailure);

  return router;
};
