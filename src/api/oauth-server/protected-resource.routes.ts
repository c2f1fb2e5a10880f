import Router from '@koa/router';
import type { ProxyProfile } from '../../infrastructure/proxy/profile-config';
import { ProblemError } from '../rest/problem';

export type ProtectedResourceOptions = Readonly<{
  profiles: Readonly<{ bySlug: (slug: string) => Promise<ProxyProfile | null> }>;
  /** The authorization server's issuer (Gatehouse's public URL). */
  issuer: () => string;
  resourceUrl: (slug: string) => string;
}>;

/** The scope every token for a profile's endpoint carries. */
export const MCP_SCOPE = 'mcp';

/**
 * `GET /.well-known/oauth-protected-resource/mcp/<slug>` (RFC 9728): the metadata an MCP client
 * finds from the 401 challenge, naming Gatehouse as the authorization server of that profile's
 * endpoint. Only profiles that take OAuth tokens have it (404 otherwise: a client must not be
 * sent to sign in for an endpoint that would refuse the token).
 */
export const protectedResourceRoutes = (options: ProtectedResourceOptions): Router => {
  const router = new Router();
  router.get('/.well-known/oauth-protected-resource/mcp/:slug', async (ctx) => {
    const slug = String(ctx.params.slug);
    const profile = await options.profiles.bySlug(slug);
    if (!profile || profile.auth.mode === 'api_keys') throw new ProblemError(404, 'PROFILE_NOT_FOUND', `No profile "${slug}" that takes OAuth tokens`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      resource: options.resourceUrl(profile.slug),
      authorization_servers: [options.issuer()],
      scopes_supported: [MCP_SCOPE],
      bearer_methods_supported: ['header'],
      resource_name: `Gatehouse profile ${profile.slug}`,
    };
  });
  return router;
};
