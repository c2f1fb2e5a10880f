import type { Context } from 'koa';
import type { CommandContext } from '../../infrastructure/commands/handle-command';
import { ProblemError } from './problem';

/** The command context of a request: actor, correlation id, and the version pinned by If-Match. */
export const commandContext = (ctx: Context): CommandContext => {
  const ifMatch = ctx.get('if-match');
  const context: CommandContext = { actor: (ctx.state.actor as string | undefined) ?? 'anonymous', correlationId: ctx.state.correlationId as string };
  if (ifMatch === '' || ifMatch === '*') return context;
  const match = /^(?:W\/)?"(\d{1,15})"$/.exec(ifMatch.trim());
  if (!match) throw new ProblemError(400, 'INVALID_IF_MATCH', 'If-Match must be an ETag this API returned, like "3"');
  return { ...context, expectedVersion: Number(match[1]) };
};

export const etag = (version: number): string => `"${version}"`;

/** Sends a resource with its version as the ETag. */
export const sendResource = <T extends { version: number }>(ctx: Context, resource: T, status = 200): void => {
  ctx.status = status;
  ctx.set('ETag', etag(resource.version));
  ctx.body = resource;
};

/** `?at=` is a global position (integer) or an ISO-8601 time. */
export const parseAt = (value: unknown): { position: number } | { time: string } | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 64) throw new ProblemError(400, 'INVALID_AT', '`at` must be a position or an ISO-8601 time');
  if (/^\d{1,15}$/.test(value)) return { position: Number(value) };
  const time = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time.getTime())) {
    throw new ProblemError(400, 'INVALID_AT', '`at` must be a position or an ISO-8601 time');
  }
  return { time: time.toISOString() };
};

export const queryString = (ctx: Context, name: string, maxLength = 256): string | undefined => {
  const value = ctx.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > maxLength) throw new ProblemError(400, 'INVALID_QUERY', `Query parameter ${name} must be a single value of at most ${maxLength} characters`);
  return value;
};

/** `true` or `false`, spelt out: `?dryRun=1` or a bare `?dryRun` is refused rather than guessed. */
export const queryBoolean = (ctx: Context, name: string): boolean | undefined => {
  const value = queryString(ctx, name, 5);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw new ProblemError(400, 'INVALID_QUERY', `Query parameter ${name} must be true or false`);
  return value === 'true';
};

export const queryInt = (ctx: Context, name: string, min: number, max: number): number | undefined => {
  const value = queryString(ctx, name, 20);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ProblemError(400, 'INVALID_QUERY', `Query parameter ${name} must be an integer ${min}..${max}`);
  }
  return Number(value);
};
