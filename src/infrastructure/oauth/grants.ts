import * as credentials from '../../domain/credentials';
import type { OAuthTokenSet } from '../../domain/oauth';
import type { SealedSecret } from '../../domain/shared';
import { assertPerUserServer } from '../commands/credentials.commands';
import { handleCommand, type CommandContext } from '../commands/handle-command';
import { loadState, type StoredEvent } from '../eventstore';
import { UserCredentialsReadModel } from '../readmodels/credentials';
import { OAuthReadModel } from '../readmodels/oauth';
import { ServerReadModel } from '../readmodels/server';
import { UserReadModel } from '../readmodels/user';
import { loadOAuthState, runOAuthCommand, type OAuthContext } from './oauth.commands';

/**
 * Which grant: a server's own (`userId` null, the `oauth-<server>` stream, authorized by an
 * admin), or one user's own for a per-user server (the `credentials-<server>-<user>` stream).
 * The token manager refreshes and revokes both the same way through the functions here.
 */
export type GrantRef = Readonly<{ serverId: string; userId: string | null }>;

/** The current access token of a grant as the read model has it (sealed). */
export type GrantRow = Readonly<{ accessToken: SealedSecret; expiresAt: string | null; issuedAt: string; version: number }>;

export const grantKey = ({ serverId, userId }: GrantRef): string => (userId === null ? serverId : `${serverId}/${userId}`);

export const grantRow = async (ctx: OAuthContext, { serverId, userId }: GrantRef): Promise<GrantRow | null> => {
  if (userId !== null) return new UserCredentialsReadModel(ctx.reads).grant(serverId, userId);
  const row = await new OAuthReadModel(ctx.reads).activeTokens(serverId);
  if (row === null || row.accessToken === null) return null;
  return { accessToken: JSON.parse(row.accessToken) as SealedSecret, expiresAt: row.expiresAt, issuedAt: row.refreshedAt ?? row.grantedAt, version: row.version };
};

/** The grant with what refreshes it (client, endpoints, refresh token), from its stream; null: none. */
export const loadGrant = async (ctx: OAuthContext, { serverId, userId }: GrantRef) => {
  if (userId === null) {
    const { state } = await loadOAuthState(ctx, serverId);
    return state.status === 'authorized' ? state.grant : null;
  }
  const { state } = await loadState(ctx.store, credentials.userCredentialsDecider, credentials.userCredentialsStreamId(serverId, userId));
  return state.status === 'set' ? state.grant : null;
};

const runUserCommand = (ctx: OAuthContext, serverId: string, userId: string, command: credentials.UserCredentialsCommand, context: CommandContext) =>
  handleCommand(ctx.store, credentials.userCredentialsDecider, credentials.userCredentialsStreamId(serverId, userId), command, context);

/** Records a refresh of the tokens whose access token had fingerprint `refreshedFrom`; false when they were replaced meanwhile. */
export const recordRefresh = async (ctx: OAuthContext, ref: GrantRef, refreshedFrom: string, tokens: OAuthTokenSet, context: CommandContext): Promise<boolean> => {
  const { serverId, userId } = ref;
  const recorded =
    userId === null
      ? await runOAuthCommand(ctx, serverId, { type: 'RefreshOAuthTokens', data: { serverId, refreshedFrom, tokens } }, context)
      : await runUserCommand(ctx, serverId, userId, { type: 'RefreshUserOAuthTokens', data: { serverId, userId, refreshedFrom, ...tokens } }, context);
  return recorded.events.length > 0;
};

/**
 * Forgets the grant (those tokens only, when `ofAccessToken` is given). `clientRejected` marks the
 * server's registration stale (the client the grant was made with, if still the registered one),
 * for a user's grant too: all of the server's users share that client; but one user's refresh
 * never marks a client an admin registered by hand (an admin's to replace): that is only
 * reported, by the answer `'hand_registered_client_kept'`, for the caller to log.
 */
export const recordRevocation = async (
  ctx: OAuthContext,
  { serverId, userId }: GrantRef,
  revocation: Readonly<{ reason: 'revoked' | 'refresh_failed'; detail: string; clientRejected: boolean; ofAccessToken: string | null }>,
  context: CommandContext,
): Promise<'hand_registered_client_kept' | null> => {
  const { reason, detail, clientRejected, ofAccessToken } = revocation;
  if (userId === null) {
    await runOAuthCommand(ctx, serverId, { type: 'RevokeOAuthTokens', data: { serverId, reason, detail, clientRejected, ofAccessToken } }, context);
    return null;
  }
  const grant = clientRejected ? await loadGrant(ctx, { serverId, userId }) : null;
  await runUserCommand(ctx, serverId, userId, { type: 'RevokeUserOAuthTokens', data: { serverId, userId, reason, detail, ofAccessToken } }, context);
  if (grant === null) return null;
  const { state } = await loadOAuthState(ctx, serverId);
  if (state.status !== 'unregistered' && state.client.clientId === grant.client.clientId && state.client.method === 'preregistered') {
    return 'hand_registered_client_kept';
  }
  await runOAuthCommand(ctx, serverId, { type: 'RejectOAuthClient', data: { serverId, clientId: grant.client.clientId } }, context);
  return null;
};

/** Records a user's own grant for a per-user server, if it still is one (checked in the append's transaction). */
export const grantUserTokens = (ctx: OAuthContext, data: credentials.GrantUserOAuthTokens['data'], context: CommandContext) =>
  handleCommand(
    ctx.store,
    credentials.userCredentialsDecider,
    credentials.userCredentialsStreamId(data.serverId, data.userId),
    async (_state, tx): Promise<credentials.UserCredentialsCommand> => {
      await assertPerUserServer(new ServerReadModel(tx.manager), data.serverId);
      return { type: 'GrantUserOAuthTokens', data };
    },
    context,
  );

/**
 * Whether a grant is still of use, so worth keeping fresh: its server active, and for a user's
 * grant the server still per_user and the user enabled. A grant of a removed server, of a server
 * switched back to shared, or of a disabled user is left as it is (not refreshed, not revoked):
 * restoring the server, switching it back or enabling the user makes it of use again.
 */
export const isGrantInUse = async (ctx: OAuthContext, { serverId, userId }: GrantRef): Promise<boolean> => {
  const server = await new ServerReadModel(ctx.reads).byId(serverId);
  if (server === null || server.status !== 'active') return false;
  if (userId === null) return true;
  if (server.credentials !== 'per_user') return false;
  return (await new UserReadModel(ctx.reads).byId(userId))?.status === 'enabled';
};

/** Every grant whose access token expires (the background refresh sets a timer for each that is in use). */
export const expiringGrants = async (ctx: OAuthContext): Promise<GrantRef[]> => [
  ...(await new OAuthReadModel(ctx.reads).serversWithExpiringTokens()).map((serverId) => ({ serverId, userId: null })),
  ...(await new UserCredentialsReadModel(ctx.reads).expiringGrants()),
];

const SERVER_TOKEN_EVENTS: ReadonlySet<string> = new Set(['OAuthTokensGranted', 'OAuthTokensRefreshed', 'OAuthTokensRevoked']);
const USER_TOKEN_EVENTS: ReadonlySet<string> = new Set(['UserOAuthTokensGranted', 'UserOAuthTokensRefreshed', 'UserOAuthTokensRevoked', 'UserCredentialsRemoved']);

/** Events that may make grants of a server or a user of use again (see isGrantInUse). */
const REVIVING_EVENTS: ReadonlySet<string> = new Set(['ServerReconfigured', 'ServerRestored', 'UserEnabled']);

/** Which grants a committed event may have brought back into use (a server's, a user's), or null. */
export const grantsRevivedBy = (event: StoredEvent): Readonly<{ serverId?: string; userId?: string }> | null => {
  if (!REVIVING_EVENTS.has(event.type)) return null;
  const data = event.data as { serverId?: string; userId?: string };
  return event.type === 'UserEnabled' ? { userId: data.userId } : { serverId: data.serverId };
};

/** The grant a committed event changed the tokens of, or null. */
export const grantChangedBy = (event: StoredEvent): GrantRef | null => {
  const data = event.data as { serverId: string; userId?: string };
  if (SERVER_TOKEN_EVENTS.has(event.type)) return { serverId: data.serverId, userId: null };
  if (USER_TOKEN_EVENTS.has(event.type) && data.userId !== undefined) return { serverId: data.serverId, userId: data.userId };
  return null;
};
