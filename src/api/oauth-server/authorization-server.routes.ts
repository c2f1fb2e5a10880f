import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import { tokensMatch } from '../../infrastructure/config/admin-token';
import { AUTHORIZATION_SERVER_ROUTES, MCP_SCOPE } from '../../infrastructure/oauth-server/authorization-server';
import type { OidcInteraction, OidcProvider } from '../../infrastructure/oauth-server/oidc-provider-types';
import { ProblemError } from '../rest/problem';
import { CONSENT_PAGE_CSP, renderConsentPage } from './consent-page';
import { ADMIN_ACCOUNT } from './oauth-profiles';

export type AuthorizationServerRoutesOptions = Readonly<{
  /** The provider, made on first use (see createAuthorizationServer). */
  provider: () => OidcProvider;
  adminToken: () => string;
  /** Slugs of the profiles that take OAuth tokens now and that the account may use (ADMIN_ACCOUNT: all of them). */
  oauthSlugs: (accountId: string) => Promise<string[]>;
  resourceUrl: (slug: string) => string;
  /** The person the request's session cookie signs in (an enabled user), or null. */
  signedIn: (ctx: Context) => Promise<SignedInAccount | null>;
  /** Where a person signs in and is sent back to `returnTo`. */
  signInUrl: (returnTo: string) => string;
}>;

export type SignedInAccount = Readonly<{ accountId: string; name: string; csrfToken: string }>;


const RESUMABLE = [AUTHORIZATION_SERVER_ROUTES.authorization, AUTHORIZATION_SERVER_ROUTES.registration];
const OIDC_DISCOVERY = '/.well-known/openid-configuration';
/** RFC 8414's path for an issuer without a path; the same document as OpenID discovery's. */
const AS_METADATA = '/.well-known/oauth-authorization-server';
const PROVIDER_PATHS: readonly string[] = [...Object.values(AUTHORIZATION_SERVER_ROUTES), OIDC_DISCOVERY, AS_METADATA];

const FORM_LIMIT = '16kb';

/** What a client may ask for: the endpoint's scope and a refresh token (`openid` only names the account). */
const GRANTABLE_SCOPES: ReadonlySet<string> = new Set([MCP_SCOPE, 'offline_access', 'openid']);

/**
 * What a request left out, filled in once the person has allowed it: a request naming no
 * endpoint (no RFC 8707 `resource`) is for the profile the person picked, and one without `scope`
 * asks for the endpoint's scope (OAuth 2.1 §3.2.2.1: a default scope). Stored in the interaction's
 * params, which the authorization endpoint resumes with, so the code and its tokens are bound to
 * that profile's endpoint like any other.
 */
const applyDefaults = async (interaction: OidcInteraction, resource: string): Promise<void> => {
  const missing = {
    ...(interaction.params.resource === undefined ? { resource } : {}),
    ...(typeof interaction.params.scope !== 'string' || interaction.params.scope.trim() === '' ? { scope: MCP_SCOPE } : {}),
  };
  if (Object.keys(missing).length === 0) return;
  Object.assign(interaction.params, missing);
  await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
};

/**
 * oidc-provider's answer for a sign-in it does not find (no cookie, expired, another browser's),
 * told by name: the package is loaded lazily where the provider is made, so its error classes are
 * not at hand here (see oidc-provider-types.ts).
 */
const isSessionNotFound = (error: unknown): boolean => (error as { name?: unknown } | null | undefined)?.name === 'SessionNotFound';

type ConsentForm = { profile?: unknown; adminToken?: unknown; action?: unknown; csrf_token?: unknown };

/**
 * Gatehouse's authorization server over HTTP: oidc-provider's endpoints (authorization,
 * token, registration, revocation, discovery as RFC 8414 metadata) handed the raw request, and
 * the login + consent page at /oauth/interaction/<uid>, where a person signs in (for now with
 * the admin token) and picks the profile the client may use.
 */
export const authorizationServerRoutes = (options: AuthorizationServerRoutesOptions): Router => {
  const router = new Router();
  /** The provider answers on the raw request; Koa stays out of the response. */
  const toProvider = async (ctx: Context): Promise<void> => {
    const oidc = options.provider();
    if (ctx.path === AS_METADATA) ctx.req.url = OIDC_DISCOVERY;
    ctx.respond = false;
    await oidc.callback()(ctx.req, ctx.res);
  };
  for (const path of PROVIDER_PATHS) router.all(path, toProvider);
  // The authorization endpoint resumes at /<uid> once the interaction is finished.
  for (const route of RESUMABLE) router.all(`${route}/:rest`, toProvider);

  const details = async (ctx: Context): Promise<OidcInteraction> => {
    let interaction: OidcInteraction;
    try {
      interaction = await options.provider().interactionDetails(ctx.req, ctx.res);
    } catch (error) {
      // Anything else (the database failing, say) is a fault, not an expired sign-in: the error handler logs it and answers 5xx.
      if (!isSessionNotFound(error)) throw error;
      throw new ProblemError(400, 'INTERACTION_NOT_FOUND', 'This sign-in has expired or was started in another browser: start again from the application');
    }
    if (interaction.uid !== String(ctx.params.uid)) throw new ProblemError(400, 'INTERACTION_NOT_FOUND', 'This sign-in does not match the one in progress: start again from the application');
    return interaction;
  };

  /** The profile the client asked for by its resource indicator, when it names one that takes OAuth. */
  const requestedSlug = (interaction: OidcInteraction, slugs: readonly string[]): string | null => {
    const resource = interaction.params.resource;
    if (typeof resource !== 'string') return null;
    return slugs.find((slug) => options.resourceUrl(slug) === resource) ?? null;
  };

  /** What `accountId` may not be given: the profile asked for, or any profile at all (null: nothing in the way). */
  const refusalFor = (person: SignedInAccount | null, requested: string | null, usable: readonly string[]): string | null => {
    if (person === null) return null;
    if (requested !== null && !usable.includes(requested)) return `The application asked for the profile ${requested}, which you may not use: ask an admin to share it with you.`;
    if (usable.length === 0) return 'No profile that takes OAuth is yours to use: ask an admin to share one with you.';
    return null;
  };

  const page = async (ctx: Context, interaction: OidcInteraction, status: number, error?: string): Promise<void> => {
    const requested = requestedSlug(interaction, await options.oauthSlugs(ADMIN_ACCOUNT));
    const clientId = String(interaction.params.client_id);
    const client = await options.provider().Client.find(clientId);
    const person = await options.signedIn(ctx);
    // Before anybody signs in, the admin token may allow any of them.
    const usable = await options.oauthSlugs(person === null ? ADMIN_ACCOUNT : person.accountId);
    const refusal = refusalFor(person, requested, usable);
    const offered = requested === null ? usable : usable.filter((slug) => slug === requested);
    ctx.status = status;
    ctx.set('Content-Security-Policy', CONSENT_PAGE_CSP);
    ctx.type = 'html';
    ctx.body = renderConsentPage({
      person: person === null ? undefined : { name: person.name, csrfToken: person.csrfToken },
      signInUrl: options.signInUrl(`/oauth/interaction/${encodeURIComponent(interaction.uid)}`),
      uid: interaction.uid,
      clientName: client?.clientName ?? clientId,
      clientDocument: clientId.startsWith('https://') ? clientId : undefined,
      redirectUri: String(interaction.params.redirect_uri),
      profiles: offered,
      requested,
      error: error ?? refusal ?? undefined,
    });
  };

  router.get('/oauth/interaction/:uid', async (ctx) => page(ctx, await details(ctx), 200));

  router.post('/oauth/interaction/:uid', bodyParser({ enableTypes: ['form'], formLimit: FORM_LIMIT, onError: () => {
    throw new ProblemError(400, 'INVALID_FORM', 'The form could not be read');
  } }), async (ctx) => {
    const interaction = await details(ctx);
    const form = (ctx.request.body ?? {}) as ConsentForm;
    const oidc = options.provider();
    if (form.action === 'deny') {
      ctx.respond = false;
      await oidc.interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'The user did not allow access' }, { mergeWithLastSubmission: false });
      return;
    }
    // A signed-in person allows with the session's CSRF token; without a session, the admin token allows (automation).
    const person = await options.signedIn(ctx);
    let accountId: string;
    if (person !== null) {
      if (typeof form.csrf_token !== 'string' || !tokensMatch(form.csrf_token, person.csrfToken)) return page(ctx, interaction, 403, 'This form is stale: reload the page.');
      accountId = person.accountId;
    } else {
      if (typeof form.adminToken !== 'string' || !tokensMatch(form.adminToken, options.adminToken())) return page(ctx, interaction, 401, 'That is not the admin token.');
      accountId = ADMIN_ACCOUNT;
    }
    const requested = typeof interaction.params.resource === 'string' ? requestedSlug(interaction, await options.oauthSlugs(ADMIN_ACCOUNT)) : null;
    if (typeof interaction.params.resource === 'string' && requested === null) return page(ctx, interaction, 400, 'The application asked for an endpoint that is not a profile taking OAuth tokens.');
    const usable = await options.oauthSlugs(accountId);
    const refusal = refusalFor(person, requested, usable);
    if (refusal !== null) return page(ctx, interaction, 403, refusal);
    const slug = typeof form.profile === 'string' ? form.profile : requested;
    if (slug === null || !usable.includes(slug)) return page(ctx, interaction, 400, 'Pick one of the profiles listed.');
    if (requested !== null && slug !== requested) return page(ctx, interaction, 400, `The application asked for the profile ${requested}.`);
    await applyDefaults(interaction, options.resourceUrl(slug));
    const grant = new oidc.Grant({ accountId, clientId: String(interaction.params.client_id) });
    grant.addResourceScope(options.resourceUrl(slug), MCP_SCOPE);
    // Sign-in and consent are one step: the scopes come from the request, not from a consent prompt's details.
    const scopes = String(interaction.params.scope).split(' ').filter((scope) => GRANTABLE_SCOPES.has(scope));
    if (scopes.length > 0) grant.addOIDCScope(scopes.join(' '));
    const grantId = await grant.save();
    ctx.respond = false;
    await oidc.interactionFinished(ctx.req, ctx.res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
  });

  return router;
};
