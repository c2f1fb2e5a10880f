import { createHash } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import '@koa/bodyparser';
import * as profile from '../../../domain/profile';
import type { Application } from '../../../infrastructure/application';
import { eventView } from '../../../infrastructure/eventstore';
import { contextBudget } from '../../../infrastructure/proxy/context-budget';
import { AttachServerDto, CloneProfileDto, CreateProfileDto, RevertDto, ToolPatchDto, UpdateProfileDto } from '../dto/profile.dto';
import { commandContext, parseAt, sendResource } from '../http';
import { notFound, ProblemError } from '../problem';
import { validateBody } from '../validation';
import { assertCanUse, assertNotMember, userIdOf, viewerOf } from '../viewer';
import { accessRoutes } from './access.routes';

export const profileRoutes = (app: Application): Router => {
  const { queries, commands, store } = app;
  const router = new Router({ prefix: '/api/profiles' });
  const { profiles } = queries;

  const requireProfile = async (slug: string, includeDeleted = false) => {
    const row = await profiles.findBySlug(slug, { includeDeleted });
    if (!row) throw notFound(`Profile "${slug}"`, 'PROFILE_NOT_FOUND');
    return row;
  };

  /** A profile the caller may see: members only theirs and those shared with them (others are "not found"). */
  const requireVisibleProfile = async (ctx: Context, slug: string) => {
    const row = await requireProfile(slug);
    await assertCanUse(queries, ctx, 'profile', row.id, notFound(`Profile "${slug}"`, 'PROFILE_NOT_FOUND'));
    return row;
  };

  const requireServerId = async (idOrName: string, includeRemoved = false) => {
    const row = await queries.servers.find(idOrName, { includeRemoved });
    if (!row) throw notFound(`Server "${idOrName}"`, 'SERVER_NOT_FOUND');
    return row.id;
  };

  const rowOf = async (profileId: string) => {
    const row = await profiles.byId(profileId);
    if (!row) throw notFound(`Profile ${profileId}`, 'PROFILE_NOT_FOUND');
    return row;
  };

  const viewOf = async (profileId: string) => profiles.view(await rowOf(profileId));

  router.post('/', async (ctx) => {
    const dto = validateBody(CreateProfileDto, ctx.request.body);
    const { profileId } = await commands.profiles.create(dto, commandContext(ctx));
    const creator = userIdOf(ctx);
    if (creator !== null) await commands.access.own('profile', profileId, creator, commandContext(ctx));
    const view = await viewOf(profileId);
    ctx.set('Location', `/api/profiles/${view.slug}`);
    sendResource(ctx, view, 201);
  });

  /** A copy of the profile as it is now (settings, attached servers, tool settings) under a new slug. */
  router.post('/:slug/clone', async (ctx) => {
    const source = await requireProfile(ctx.params.slug);
    const dto = validateBody(CloneProfileDto, ctx.request.body);
    const { profileId } = await commands.profiles.clone(source.id, dto, commandContext(ctx));
    const view = await viewOf(profileId);
    ctx.set('Location', `/api/profiles/${view.slug}`);
    sendResource(ctx, view, 201);
  });

  router.get('/', async (ctx) => {
    const rows = await profiles.listActive();
    const visible = new Set(await queries.access.visible(viewerOf(ctx), 'profile', rows.map((row) => row.id)));
    ctx.body = { profiles: await Promise.all(rows.filter((row) => visible.has(row.id)).map((row) => profiles.view(row))) };
  });

  router.get('/:slug', async (ctx) => {
    const at = parseAt(ctx.query.at);
    if (at === undefined) {
      sendResource(ctx, await profiles.view(await requireVisibleProfile(ctx, ctx.params.slug)));
      return;
    }
    assertNotMember(ctx, 'time travel');
    const position = await queries.position(at);
    const view = await queries.profileAt(ctx.params.slug, position);
    if (view === null) throw notFound(`Profile "${ctx.params.slug}" at position ${position}`, 'PROFILE_NOT_FOUND');
    sendResource(ctx, { ...view, at: position });
  });

  router.patch('/:slug', async (ctx) => {
    const row = await requireProfile(ctx.params.slug);
    const dto = validateBody(UpdateProfileDto, ctx.request.body);
    await commands.profiles.update(row.id, dto, commandContext(ctx));
    sendResource(ctx, await viewOf(row.id));
  });

  router.delete('/:slug', async (ctx) => {
    const row = await requireProfile(ctx.params.slug);
    await commands.profiles.delete(row.id, commandContext(ctx));
    ctx.status = 204;
  });

  router.put('/:slug/servers/:server', async (ctx) => {
    const row = await requireProfile(ctx.params.slug);
    const dto = validateBody(AttachServerDto, ctx.request.body ?? {});
    const serverId = await requireServerId(ctx.params.server, true);
    const result = await commands.profiles.attach(row.id, serverId, dto.status ?? 'active', commandContext(ctx));
    sendResource(ctx, await viewOf(row.id), result.events.some((e) => e.type === 'ServerAttached') ? 201 : 200);
  });

  router.delete('/:slug/servers/:server', async (ctx) => {
    const row = await requireProfile(ctx.params.slug);
    const serverId = await requireServerId(ctx.params.server, true);
    await commands.profiles.detach(row.id, serverId, commandContext(ctx));
    ctx.status = 204;
  });

  router.get('/:slug/tools', async (ctx) => {
    const row = await requireVisibleProfile(ctx, ctx.params.slug);
    ctx.set('ETag', `"${row.version}"`);
    ctx.body = { profile: row.slug, version: row.version, tools: await queries.effectiveTools(row.id, row.toolPrefix as profile.ToolPrefixMode) };
  });

  /** What the profile's tool definitions cost a model's context, per tool and per exposure mode. */
  router.get('/:slug/context', async (ctx) => {
    const row = await requireProfile(ctx.params.slug);
    const tools = await queries.effectiveTools(row.id, row.toolPrefix as profile.ToolPrefixMode);
    const body = { profile: row.slug, version: row.version, ...(await contextBudget(tools, row.toolExposure as profile.ToolExposureMode, row.adaptiveToolLimit)) };
    // The costs follow the servers' discovered tools as well as the profile: the tag is the body's.
    ctx.set('ETag', `"ctx-${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 22)}"`);
    ctx.body = body;
  });

  router.patch('/:slug/tools/:server/:tool', async (ctx) => {
    const row = await requireProfile(ctx.params.slug);
    const serverId = await requireServerId(ctx.params.server, true);
    const dto = validateBody(ToolPatchDto, ctx.request.body);
    if (ctx.params.tool.length > 256) throw new ProblemError(400, 'INVALID_TOOL_NAME', 'Tool names are at most 256 characters');
    await commands.profiles.setTool(row.id, serverId, ctx.params.tool, dto, commandContext(ctx));
    const tools = await queries.effectiveTools(row.id, row.toolPrefix as profile.ToolPrefixMode);
    // Only the version is answered: the row has it, the view's servers are not needed.
    const { version } = await rowOf(row.id);
    ctx.set('ETag', `"${version}"`);
    const tool = tools.find((entry) => entry.serverId === serverId && entry.originalName === ctx.params.tool) ?? null;
    const known = tools.filter((entry) => entry.serverId === serverId && entry.discovered).map((entry) => entry.originalName);
    // Kept (the server may list the tool later), but a typo should not pass unnoticed once the server's tools are known.
    const warnings = tool !== null && !tool.discovered && known.length > 0
      ? [`server "${tool.serverName}" has not listed a tool "${tool.originalName}"; the setting is kept and applies if it ever does. Its tools: ${known.join(', ')}`]
      : [];
    ctx.body = { version, tool, ...(warnings.length > 0 ? { warnings } : {}) };
  });

  router.get('/:slug/history', async (ctx) => {
    const row = await requireProfile(ctx.params.slug, true);
    const events = await store.readStream(profile.profileStreamId(row.id));
    ctx.body = { profileId: row.id, events: events.map(eventView) };
  });

  router.post('/:slug/revert', async (ctx) => {
    const row = await requireProfile(ctx.params.slug, true);
    const { to } = validateBody(RevertDto, ctx.request.body);
    const result = await commands.profiles.revert(row.id, to, commandContext(ctx));
    const view = await viewOf(row.id);
    sendResource(ctx, { ...view, appended: result.events.map(eventView), skippedServers: result.skippedServerIds });
  });

  accessRoutes(router, app, 'profile', async (slug) => (await requireProfile(slug)).id);

  return router;
};
