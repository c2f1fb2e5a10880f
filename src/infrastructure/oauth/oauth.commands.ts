import * as oauth from '../../domain/oauth';
import type { SealedSecret } from '../../domain/shared';
import type { EntityManager } from 'typeorm';
import { handleCommand, type CommandContext } from '../commands/handle-command';
import type { SecretBox } from '../crypto';
import { loadState } from '../eventstore';
import type { ClientCredentials, TokenResponse } from './token-endpoint';
import type { ManagedEventStore } from '../eventstore/typeorm-event-store';

/** What Gatehouse as an OAuth client needs: the store, the secret box and the read models. */
export type OAuthContext = Readonly<{ store: ManagedEventStore; secrets: SecretBox; reads: EntityManager }>;

/**
 * Tokens are sealed without the mask hint other secrets carry: nobody needs to recognise a
 * token by its last characters, and no part of it should sit in the log in clear.
 */
export const sealToken = (ctx: OAuthContext, token: string): SealedSecret => ({ ...ctx.secrets.seal(token), hint: '' });

/** A token set as it goes into an event: sealed, with the expiry as a time. */
export const sealTokens = (
  ctx: OAuthContext,
  response: TokenResponse,
  now: Date,
  fallback: Readonly<{ refreshToken: SealedSecret | null; scopes: readonly string[] }>,
): oauth.OAuthTokenSet => ({
  accessToken: sealToken(ctx, response.accessToken),
  // A server that does not rotate returns no refresh token: the one used stays valid.
  refreshToken: response.refreshToken === null ? fallback.refreshToken : sealToken(ctx, response.refreshToken),
  expiresAt: response.expiresInSeconds === null ? null : new Date(now.getTime() + response.expiresInSeconds * 1000).toISOString(),
  scopes: response.scopes ?? fallback.scopes,
});

/** The client in a form the token endpoint helpers take; the secret is opened in memory only. */
export const credentialsOf = (ctx: OAuthContext, client: oauth.OAuthClient): ClientCredentials => ({
  clientId: client.clientId,
  clientSecret: client.clientSecret === null ? null : ctx.secrets.open(client.clientSecret),
  method: client.tokenEndpointAuthMethod,
});

export const loadOAuthState = async (ctx: OAuthContext, serverId: string) =>
  loadState(ctx.store, oauth.oauthDecider, oauth.oauthStreamId(serverId));

export const runOAuthCommand = (ctx: OAuthContext, serverId: string, command: oauth.OAuthCommand, context: CommandContext) =>
  handleCommand(ctx.store, oauth.oauthDecider, oauth.oauthStreamId(serverId), command, context);
