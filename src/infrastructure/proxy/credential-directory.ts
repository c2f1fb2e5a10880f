import { USER_CREDENTIALS_EVENT_TYPES } from '../../domain/credentials';
import { isSecretHeaderValue } from '../../domain/server';
import type { SealedMap, SealedSecret } from '../../domain/shared';
import { openMap, type SecretBox } from '../crypto';
import type { StoredEvent } from '../eventstore';
import type { SealedUserCredentials } from '../readmodels/credentials';
import { UpstreamError, type UpstreamSpec } from '../upstream';

type Sealed = Pick<SealedUserCredentials, 'bearerToken' | 'env' | 'oauthGrant'>;
type Opened = Readonly<{ base: UpstreamSpec; sealed: Sealed; spec: UpstreamSpec }>;

const keyOf = (serverId: string, userId: string): string => `${serverId}/${userId}`;

const CREDENTIAL_EVENTS: ReadonlySet<string> = new Set(USER_CREDENTIALS_EVENT_TYPES);

/**
 * What of the server's own configuration a per-user connection keeps: the plain env values (the
 * secret ones are the server's credentials, which a per-user server must not hand to every user)
 * and the headers that are not secret (`X-Tenant: acme` stays). A header goes when it is declared
 * secret, or, declared or not, when its name or value looks like a credential (`X-Api-Key`,
 * `Authorization`, `X-JWT`, a value such as `Bearer …`/`Basic …` or a token-like word): the
 * guess is a floor for headers configured before the flag existed and for forgotten flags.
 */
const sharedConfigOf = (spec: UpstreamSpec): Pick<UpstreamSpec, 'env' | 'headers'> => {
  const plain = new Set(spec.plainEnvNames ?? []);
  const declared = new Set(spec.secretHeaderNames ?? []);
  return {
    env: Object.fromEntries(Object.entries(spec.env).filter(([name]) => plain.has(name))),
    headers: Object.fromEntries(Object.entries(spec.headers).filter(([name, value]) => !isSecretHeaderValue(name, value, declared.has(name)))),
  };
};

/**
 * Each user's own credentials for the per-user servers, kept sealed in memory (read once at
 * start, then kept by the committed events, which carry the sealed values) so that the proxy
 * can build a user's spec without reading the database on its hot path. A user's spec is the
 * server's without its secrets (see sharedConfigOf), with that user's bearer token and env
 * values; it is opened when first needed and kept while neither side changes.
 */
export class CredentialDirectory {
  private readonly sealed = new Map<string, Sealed>();
  private readonly opened = new Map<string, Opened>();

  constructor(private readonly secrets: SecretBox) {}

  load(all: readonly SealedUserCredentials[]): void {
    for (const credentials of all) this.sealed.set(keyOf(credentials.serverId, credentials.userId), credentials);
  }

  apply(event: StoredEvent): void {
    if (!CREDENTIAL_EVENTS.has(event.type)) return;
    const data = event.data as { serverId: string; userId: string; bearerToken?: SealedSecret | null; env?: SealedMap };
    const key = keyOf(data.serverId, data.userId);
    const current = this.sealed.get(key) ?? { bearerToken: null, env: {}, oauthGrant: false };
    // A refresh changes nothing a spec is made of: the token source reads the new token.
    if (event.type === 'UserOAuthTokensRefreshed') return;
    this.opened.delete(key);
    let next: Sealed | null;
    if (event.type === 'UserCredentialsRemoved') next = null;
    else if (event.type === 'UserCredentialsSet') next = { bearerToken: data.bearerToken ?? null, env: data.env ?? {}, oauthGrant: current.oauthGrant };
    else next = { ...current, oauthGrant: event.type === 'UserOAuthTokensGranted' };
    if (next === null || (next.bearerToken === null && Object.keys(next.env).length === 0 && !next.oauthGrant)) this.sealed.delete(key);
    else this.sealed.set(key, next);
  }

  /**
   * The spec `userId` reaches a per-user server with. Throws UPSTREAM_NO_CREDENTIALS (its
   * message says what to do) for a caller with no user, or a user with no credentials for it.
   */
  specFor(spec: UpstreamSpec, userId: string | null): UpstreamSpec {
    const settings = `PUT /api/servers/${encodeURIComponent(spec.name)}/credentials`;
    if (userId === null) {
      throw new UpstreamError(
        'UPSTREAM_NO_CREDENTIALS',
        spec,
        `it takes each user's own credentials, and this session has no user (the admin's key, an open profile or gatehouse stdio): connect with an API key of your own or sign in with OAuth, and set your credentials with ${settings}`,
      );
    }
    const key = keyOf(spec.id, userId);
    const sealed = this.sealed.get(key);
    if (sealed === undefined) {
      const oauth = spec.transport === 'stdio' ? '' : `, or authorize your own access with POST /api/servers/${encodeURIComponent(spec.name)}/credentials/oauth/authorize`;
      throw new UpstreamError('UPSTREAM_NO_CREDENTIALS', spec, `it takes each user's own credentials, and you have none set for it: set yours with ${settings} (a bearerToken, env values or both)${oauth}, then call again`);
    }
    const cached = this.opened.get(key);
    if (cached !== undefined && cached.base === spec && cached.sealed === sealed) return cached.spec;
    const env = openMap(this.secrets, sealed.env);
    const shared = sharedConfigOf(spec);
    const userSpec: UpstreamSpec = {
      ...spec,
      headers: shared.headers,
      secretHeaderNames: [],
      bearerToken: sealed.bearerToken === null ? null : this.secrets.open(sealed.bearerToken),
      env: { ...shared.env, ...env },
      plainEnvNames: Object.keys(shared.env).filter((name) => !(name in env)),
      credentials: 'per_user',
      userId,
    };
    this.opened.set(key, { base: spec, sealed, spec: userSpec });
    return userSpec;
  }
}
