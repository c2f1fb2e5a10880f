import { discoverAuthorizationServerMetadata } from '@modelcontextprotocol/sdk/client/auth.js';
import { checkResourceAllowed, resourceUrlFromServerUrl } from '@modelcontextprotocol/sdk/shared/auth-utils.js';
import {
  OAuthProtectedResourceMetadataSchema,
  type AuthorizationServerMetadata,
  type OAuthProtectedResourceMetadata,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { sameIssuer, timedFetch, unsupported, upstreamError } from './http';

/** What an authorization needs to know about an upstream and its authorization server. */
export type Discovery = Readonly<{
  /** The RFC 8707 resource indicator: the protected resource's own identifier. */
  resource: string;
  /** `scopes_supported` of the protected resource, the last resort for which scopes to ask. */
  scopesSupported: readonly string[] | null;
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  registrationEndpoint: string | null;
  revocationEndpoint: string | null;
  tokenEndpointAuthMethods: readonly string[];
}>;

/**
 * RFC 9728 §3 / MCP 2025-11-25: the `resource_metadata` URL of the upstream's challenge when it
 * gave one, else the well-known URL with the resource's path inserted, then the root one.
 */
export const protectedResourceMetadataUrls = (serverUrl: string, resourceMetadataUrl: string | null): URL[] => {
  if (resourceMetadataUrl !== null) return [new URL(resourceMetadataUrl)];
  const url = new URL(serverUrl);
  const path = url.pathname.replace(/\/+$/, '');
  const root = new URL('/.well-known/oauth-protected-resource', url.origin);
  return path === '' ? [root] : [new URL(`/.well-known/oauth-protected-resource${path}`, url.origin), root];
};

/**
 * The first metadata document found. A 4xx means "not here" and the next URL is tried; no
 * document at all means the upstream does not do OAuth (refused, not a gateway failure).
 */
const fetchResourceMetadata = async (urls: readonly URL[], fetchFn: FetchLike): Promise<OAuthProtectedResourceMetadata> => {
  for (const url of urls) {
    let response: Response;
    try {
      response = await fetchFn(url, { headers: { accept: 'application/json', 'mcp-protocol-version': LATEST_PROTOCOL_VERSION }, redirect: 'manual' });
    } catch (error) {
      throw upstreamError(`could not reach ${url.href}`, error);
    }
    if (response.status >= 400 && response.status < 500) {
      await response.body?.cancel();
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw upstreamError(`${url.href} answered HTTP ${response.status}`);
    }
    const parsed = OAuthProtectedResourceMetadataSchema.safeParse(await response.json().catch(() => null));
    if (!parsed.success) throw upstreamError(`${url.href} is not protected resource metadata`);
    return parsed.data;
  }
  throw unsupported(`the upstream publishes no OAuth protected resource metadata (tried ${urls.map((u) => u.href).join(', ')})`);
};

/**
 * Whether the upstream publishes protected resource metadata that names an authorization server,
 * the first thing an authorization needs: asked so that a console offers "Authorize with OAuth"
 * only where it can work. Any failure (none published, unreachable, malformed) is a no.
 */
export const publishesOAuthMetadata = async (serverUrl: string, fetchFn: FetchLike = timedFetch()): Promise<boolean> => {
  try {
    const metadata = await fetchResourceMetadata(protectedResourceMetadataUrls(serverUrl, null), fetchFn);
    return (metadata.authorization_servers ?? []).length > 0;
  } catch {
    return false;
  }
};

/** OpenID configuration documents carry RFC 7009's field too, but the SDK's type for them omits it. */
const revocationEndpointOf = (metadata: AuthorizationServerMetadata): string | null => {
  const value = (metadata as { revocation_endpoint?: unknown }).revocation_endpoint;
  return typeof value === 'string' ? value : null;
};

/**
 * Discovery as the MCP authorization spec (2025-11-25) orders it: the protected resource
 * metadata (above), then the authorization server metadata at the RFC 8414 URLs and then the
 * OpenID configuration ones (the SDK's helper, which follows the spec's order for issuers with
 * and without a path). What MCP requires on top is checked here: the metadata names this
 * resource, the issuer is the one asked, and PKCE with S256 is advertised (a server that does
 * not say so is refused, as the spec demands).
 */
export const discover = async (
  serverUrl: string,
  resourceMetadataUrl: string | null,
  fetchFn: FetchLike = timedFetch(),
): Promise<Discovery> => {
  const resourceMetadata = await fetchResourceMetadata(protectedResourceMetadataUrls(serverUrl, resourceMetadataUrl), fetchFn);
  const resource = resourceMetadata.resource;
  if (!checkResourceAllowed({ requestedResource: resourceUrlFromServerUrl(serverUrl), configuredResource: resource })) {
    throw upstreamError(`the protected resource metadata is for ${resource}, not for ${serverUrl}`);
  }
  const issuer = resourceMetadata.authorization_servers?.[0];
  if (issuer === undefined) throw unsupported(`${serverUrl} names no authorization server in its protected resource metadata`);
  let metadata: AuthorizationServerMetadata | undefined;
  try {
    metadata = await discoverAuthorizationServerMetadata(issuer, { fetchFn });
  } catch (error) {
    throw upstreamError(`could not read the metadata of the authorization server ${issuer}`, error);
  }
  if (metadata === undefined) throw unsupported(`the authorization server ${issuer} publishes no RFC 8414 or OpenID metadata`);
  if (!sameIssuer(metadata.issuer, issuer)) {
    throw upstreamError(`the authorization server metadata names issuer ${metadata.issuer}, not ${issuer}`);
  }
  if (!(metadata.code_challenge_methods_supported ?? []).includes('S256')) {
    throw unsupported(`the authorization server ${issuer} does not advertise PKCE with S256; refusing to authorize`);
  }
  if (!metadata.response_types_supported.includes('code')) {
    throw unsupported(`the authorization server ${issuer} does not support the authorization code flow`);
  }
  return {
    resource,
    scopesSupported: resourceMetadata.scopes_supported ?? null,
    issuer: metadata.issuer,
    authorizationEndpoint: metadata.authorization_endpoint,
    tokenEndpoint: metadata.token_endpoint,
    registrationEndpoint: metadata.registration_endpoint ?? null,
    revocationEndpoint: revocationEndpointOf(metadata),
    // RFC 8414 §2: absent means client_secret_basic.
    tokenEndpointAuthMethods: metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'],
  };
};
