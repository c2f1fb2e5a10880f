import type { TokenCheck } from '../../infrastructure/oauth-server/access-tokens';

/**
 * What the MCP endpoints need of Gatehouse's own authorization server: where a profile's
 * protected resource metadata is (RFC 9728, named in the 401 challenge) and whether an access
 * token it issued is live and bound to that profile's endpoint (RFC 8707).
 */
export type McpOAuth = Readonly<{
  /** The profile's MCP endpoint as a resource indicator: `<public URL>/mcp/<slug>`. */
  resourceUrl: (slug: string) => string;
  /** `<public URL>/.well-known/oauth-protected-resource/mcp/<slug>`. */
  resourceMetadataUrl: (slug: string) => string;
  verify: (token: string, resource: string) => Promise<TokenCheck>;
}>;

/** The `Authorization: Bearer` value, and nothing else (OAuth tokens never travel in the URL). */
export const bearerToken = (authorization: string | undefined): string | undefined => {
  const match = /^Bearer +([\x21-\x7e]{1,4096})\s*$/i.exec(authorization ?? '');
  return match ? match[1] : undefined;
};

/** The MCP side of the authorization server for Gatehouse at `publicUrl` (asked each time: with port 0 it is known once listening). */
export const mcpOAuth = (publicUrl: () => string, verify: McpOAuth['verify']): McpOAuth => ({
  resourceUrl: (slug) => `${publicUrl()}/mcp/${encodeURIComponent(slug)}`,
  resourceMetadataUrl: (slug) => `${publicUrl()}/.well-known/oauth-protected-resource/mcp/${encodeURIComponent(slug)}`,
  verify,
});
