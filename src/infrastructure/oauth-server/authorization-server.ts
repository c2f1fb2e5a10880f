import type { SecretBox } from '../crypto';
import { CLIENT_METADATA_MAX_BYTES, CLIENT_METADATA_PURPOSE, clientMetadataDocumentsFeature, providerFetch, type ClientMetadataDocumentsMode } from './client-metadata-documents';
import { oauthServerAdapter } from './oauth-server-adapter';
import type { OAuthServerRecords } from './oauth-server-records';
import type { OidcModule, OidcProvider } from './oidc-provider-types';
import { providerKeys, SIGNING_ALG } from './provider-keys';

/** The one scope of a profile's endpoint: a token for it may use every tool the profile exposes. */
export const MCP_SCOPE = 'mcp';

/** Where the provider's endpoints are, under /oauth beside the upstream client's /oauth/callback. */
export const AUTHORIZATION_SERVER_ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  registration: '/oauth/register',
  revocation: '/oauth/revoke',
  jwks: '/oauth/jwks',
  end_session: '/oauth/session/end',
  userinfo: '/oauth/userinfo',
  introspection: '/oauth/introspect',
  pushed_authorization_request: '/oauth/par',
  code_verification: '/oauth/device',
  device_authorization: '/oauth/device/auth',
  backchannel_authentication: '/oauth/backchannel',
  challenge: '/oauth/challenge',
  credential: '/oauth/credential',
} as const;

export const interactionPath = (uid: string): string => `/oauth/interaction/${encodeURIComponent(uid)}`;

export type AuthorizationServerOptions = Readonly<{
  issuer: string;
  records: OAuthServerRecords;
  secrets: SecretBox;
  /** Whether `resource` is the endpoint of a profile that takes OAuth tokens now. */
  isProfileResource: (resource: string) => Promise<boolean>;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Client ID Metadata Documents: whether a client may name itself by an https URL (see client-metadata-documents). */
  clientMetadataDocuments: ClientMetadataDocumentsMode;
}>;

/** Loaded once, when a request first needs the provider (see OidcModule). */
const loadOidcProvider = (): OidcModule => require('oidc-provider') as OidcModule; // eslint-disable-line @typescript-eslint/no-require-imports -- an ES module required lazily, see OidcModule

/**
 * Gatehouse as an OAuth 2.1 authorization server for its own MCP endpoints (oidc-provider):
 * dynamic client registration (RFC 7591) and Client ID Metadata Documents, authorization code with PKCE S256 only, resource
 * indicators (RFC 8707) naming one profile's endpoint, opaque short-lived access tokens bound
 * to it, refresh tokens rotated on every use (a replayed one revokes the grant), revocation
 * (RFC 7009). The login and consent page is Gatehouse's own (interactionPath).
 */
export const createAuthorizationServer = (options: AuthorizationServerOptions): OidcProvider => {
  const { default: Provider, errors } = loadOidcProvider();
  // The same keys on every instance of one store: a sign-in may start on one and finish on another.
  const keys = providerKeys(options.secrets);
  const provider = new Provider(options.issuer, {
    adapter: oauthServerAdapter(options.records, options.secrets),
    clients: [],
    // Signs nothing a client relies on (tokens are opaque, no ID tokens without `openid`).
    jwks: keys.jwks,
    // Sign the interaction and session cookies.
    cookies: { keys: keys.cookieKeys },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    scopes: [MCP_SCOPE, 'offline_access'],
    claims: { openid: ['sub'] },
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientDefaults: { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none', id_token_signed_response_alg: SIGNING_ALG },
    routes: AUTHORIZATION_SERVER_ROUTES,
    fetch: providerFetch(options.clientMetadataDocuments),
    fetchResponseBodyLimits: { [CLIENT_METADATA_PURPOSE]: CLIENT_METADATA_MAX_BYTES },
    features: {
      clientIdMetadataDocument: clientMetadataDocumentsFeature(options.clientMetadataDocuments),
      devInteractions: { enabled: false },
      registration: { enabled: true, initialAccessToken: false },
      revocation: { enabled: true },
      userinfo: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string | string[]) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => {
          if (!(await options.isProfileResource(resource))) throw new errors.InvalidTarget('resource is not the MCP endpoint of a profile that takes OAuth tokens');
          return { scope: MCP_SCOPE, audience: resource, accessTokenTTL: options.accessTokenTtlSeconds, accessTokenFormat: 'opaque' };
        },
      },
    },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: options.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3600,
      Grant: options.refreshTokenTtlSeconds,
      RefreshToken: options.refreshTokenTtlSeconds,
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => interactionPath(interaction.uid) },
    // Error pages without the provider's default HTML (which echoes the request's parameters).
    renderError: async (ctx: { type: string; body: unknown }, out: { error: string; error_description?: string }) => {
      ctx.type = 'json';
      ctx.body = { error: out.error, error_description: out.error_description };
    },
  });
  return provider;
};
