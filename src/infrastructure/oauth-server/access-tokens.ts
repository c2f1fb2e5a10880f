import type { OAuthServerRecords } from './oauth-server-records';

/** Whether an access token Gatehouse issued is live and bound to the endpoint it is shown to. */
export type TokenCheck =
  | Readonly<{ status: 'valid'; grantId: string; accountId: string }>
  /** Unknown, expired or revoked: the client should get a new one. */
  | Readonly<{ status: 'invalid' }>
  /** Live, but issued for another resource (another profile's endpoint). */
  | Readonly<{ status: 'other_resource' }>;

/** Longer than any token the provider issues: not looked up at all. */
const MAX_TOKEN_LENGTH = 512;

type AccessTokenPayload = { exp?: unknown; aud?: unknown; grantId?: unknown; accountId?: unknown };

/**
 * Checks an opaque access token against the stored record (by its hash), without the provider:
 * the MCP hot path needs no protocol machinery, and a revoked or replay-revoked grant has no
 * rows left to find. `resource` is the endpoint's resource indicator (RFC 8707).
 */
export const checkAccessToken = async (records: OAuthServerRecords, token: string, resource: string): Promise<TokenCheck> => {
  if (token.length > MAX_TOKEN_LENGTH) return { status: 'invalid' };
  const record = await records.find('AccessToken', token);
  if (record === null) return { status: 'invalid' };
  const payload = JSON.parse(record.payload) as AccessTokenPayload;
  if (typeof payload.exp !== 'number' || payload.exp <= Date.now() / 1000) return { status: 'invalid' };
  if (typeof payload.grantId !== 'string' || typeof payload.accountId !== 'string') return { status: 'invalid' };
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.includes(resource)) return { status: 'other_resource' };
  return { status: 'valid', grantId: payload.grantId, accountId: payload.accountId };
};
