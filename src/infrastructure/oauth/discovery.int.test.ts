import { DomainError } from '../../domain/shared';
import { authorizationServerMetadata, startMetadataServer, type MetadataServer } from '../../../test/support/metadata-server';
import { discover } from './discovery';

/** Discovery against real loopback servers that record which URLs were asked, in order. */
describe('OAuth discovery (MCP 2025-11-25 order)', () => {
  const servers: MetadataServer[] = [];
  const start = async (documents: Parameters<typeof startMetadataServer>[0]) => {
    const server = await startMetadataServer(documents);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error as DomainError);

  it('reads the resource_metadata URL of the challenge, then the authorization server metadata (RFC 8414 first)', async () => {
    const server = await start((base) => ({
      '/custom/prm': { resource: `${base}/mcp`, authorization_servers: [base], scopes_supported: ['files:read'] },
      '/.well-known/oauth-authorization-server': authorizationServerMetadata(base),
      '/.well-known/openid-configuration': authorizationServerMetadata(base),
    }));
    const discovery = await discover(`${server.baseUrl}/mcp`, `${server.baseUrl}/custom/prm`);
    expect(discovery).toMatchObject({ resource: `${server.baseUrl}/mcp`, issuer: server.baseUrl, scopesSupported: ['files:read'] });
    expect(server.requests).toEqual(['/custom/prm', '/.well-known/oauth-authorization-server']);
  });

  it('without a challenge, tries the path-aware well-known URL, then the root one', async () => {
    const server = await start((base) => ({
      '/.well-known/oauth-protected-resource': { resource: `${base}/mcp`, authorization_servers: [base] },
      '/.well-known/oauth-authorization-server': authorizationServerMetadata(base),
    }));
    await discover(`${server.baseUrl}/mcp`, null);
    expect(server.requests.slice(0, 2)).toEqual(['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']);
  });

  it('for an issuer with a path, falls back to OpenID configuration in the spec order', async () => {
    const server = await start((base) => ({
      '/.well-known/oauth-protected-resource/mcp': { resource: `${base}/mcp`, authorization_servers: [`${base}/tenant`] },
      '/tenant/.well-known/openid-configuration': {
        ...authorizationServerMetadata(`${base}/tenant`),
        jwks_uri: `${base}/jwks`,
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      },
    }));
    const discovery = await discover(`${server.baseUrl}/mcp`, null);
    expect(discovery.issuer).toBe(`${server.baseUrl}/tenant`);
    expect(server.requests.slice(1)).toEqual([
      '/.well-known/oauth-authorization-server/tenant',
      '/.well-known/openid-configuration/tenant',
      '/tenant/.well-known/openid-configuration',
    ]);
  });

  it('refuses an authorization server that does not advertise S256', async () => {
    for (const methods of [undefined, ['plain']]) {
      const server = await start((base) => ({
        '/.well-known/oauth-protected-resource/mcp': { resource: `${base}/mcp`, authorization_servers: [base] },
        '/.well-known/oauth-authorization-server': authorizationServerMetadata(base, { code_challenge_methods_supported: methods }),
      }));
      const error = await failure(discover(`${server.baseUrl}/mcp`, null));
      expect(error).toMatchObject({ code: 'OAUTH_UNSUPPORTED', message: expect.stringContaining('S256') });
    }
  });

  it('refuses metadata for another resource, and an issuer that is not the one asked', async () => {
    const wrongResource = await start((base) => ({
      '/.well-known/oauth-protected-resource/mcp': { resource: `${base}/other`, authorization_servers: [base] },
    }));
    expect(await failure(discover(`${wrongResource.baseUrl}/mcp`, null))).toMatchObject({ code: 'OAUTH_UPSTREAM_ERROR' });
    const wrongIssuer = await start((base) => ({
      '/.well-known/oauth-protected-resource/mcp': { resource: `${base}/mcp`, authorization_servers: [base] },
      '/.well-known/oauth-authorization-server': authorizationServerMetadata('https://evil.example'),
    }));
    expect(await failure(discover(`${wrongIssuer.baseUrl}/mcp`, null))).toMatchObject({ code: 'OAUTH_UPSTREAM_ERROR' });
  });

  it('calls an upstream without protected resource metadata unsupported, and an unreachable one an upstream error', async () => {
    const bare = await start(() => ({}));
    expect(await failure(discover(`${bare.baseUrl}/mcp`, null))).toMatchObject({ code: 'OAUTH_UNSUPPORTED' });
    await bare.close();
    expect(await failure(discover(`${bare.baseUrl}/mcp`, null))).toMatchObject({ code: 'OAUTH_UPSTREAM_ERROR' });
  });
});
