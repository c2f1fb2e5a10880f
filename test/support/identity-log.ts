import type { SealedSecret } from '../../src/domain/shared';
import type { EventStore } from '../../src/infrastructure/eventstore';

/** The event types of the read models this log feeds, every one of which it appends. */
export const IDENTITY_EVENT_TYPES = [
  'AccessChanged',
  'OAuthClientRegistered', 'OAuthClientRejected', 'OAuthTokensGranted', 'OAuthTokensRefreshed', 'OAuthTokensRevoked',
  'PersonalAccessTokenIssued', 'PersonalAccessTokenRevoked',
  'UserCredentialsRemoved', 'UserCredentialsSet', 'UserOAuthTokensGranted', 'UserOAuthTokensRefreshed', 'UserOAuthTokensRevoked',
  'UserDisabled', 'UserEnabled', 'UserPasswordChanged', 'UserRegistered', 'UserRenamed', 'UserRoleChanged',
] as const;

export type GeneratedEvent = Readonly<{ streamId: string; type: (typeof IDENTITY_EVENT_TYPES)[number]; data: unknown }>;

/** Deterministic for a seed (mulberry32). */
const randomFrom = (seed: number): (() => number) => {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

/**
 * A log of users, resource access, personal access tokens, users' own credentials and OAuth
 * grants (a server's and a user's), `count` events of every type of those read models in a
 * random mix: not only what the commands append, but whatever the projections must take, such
 * as changes to rows that do not exist (a user never registered, tokens already revoked), a user
 * registered or a token issued twice, grants beside and without other credentials, a client
 * rejected with and without tokens held. Ids are few, so that events meet the same rows often.
 */
export const identityLog = (count: number, seal: (plaintext: string) => SealedSecret, seed = 0x1d_e7_17): GeneratedEvent[] => {
  const random = randomFrom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const some = <T>(items: readonly T[]): T[] => items.filter(() => random() < 0.4);
  const size = Math.max(4, Math.round(Math.sqrt(count) / 2));
  const users = Array.from({ length: size }, (_, i) => `user-${i}`);
  const servers = Array.from({ length: Math.max(2, Math.round(size / 4)) }, (_, i) => `server-${i}`);
  // Each server's OAuth grant gets about ten events: enough for every kind of sequence, few enough that the last ones matter.
  const oauthServers = Array.from({ length: Math.max(2, Math.round(count / 40)) }, (_, i) => `server-${i}`);
  const tokenIds = Array.from({ length: size }, (_, i) => `token-${i}`);
  const clients = ['client-a', 'client-b'];
  const roles = ['owner', 'admin', 'member'] as const;
  let secrets = 0;
  const secret = (): SealedSecret => seal(`generated-secret-${(secrets += 1)}`);
  const tokenSet = () => ({
    accessToken: secret(), refreshToken: random() < 0.7 ? secret() : null, expiresAt: random() < 0.8 ? new Date(Date.UTC(2026, 0, 1 + secrets)).toISOString() : null,
    scopes: some(['mcp:tools', 'mcp:prompts', 'offline_access']),
  });
  const client = () => ({
    issuer: 'http://127.0.0.1:9', clientId: pick(clients), clientSecret: random() < 0.5 ? secret() : null,
    clientSecretExpiresAt: random() < 0.3 ? '2027-01-01T00:00:00.000Z' : null, method: pick(['dynamic', 'preregistered'] as const),
    redirectUri: random() < 0.5 ? 'http://127.0.0.1:7300/oauth/callback' : null, tokenEndpointAuthMethod: pick(['client_secret_basic', 'client_secret_post', 'none'] as const),
  });
  const endpoints = () => ({ issuer: 'http://127.0.0.1:9', tokenEndpoint: 'http://127.0.0.1:9/token', revocationEndpoint: random() < 0.5 ? 'http://127.0.0.1:9/revoke' : null });
  const revocation = () => ({ reason: pick(['revoked', 'refresh_failed'] as const), detail: random() < 0.5 ? 'invalid_grant' : null });

  const next = (type: GeneratedEvent['type']): GeneratedEvent => {
    const userId = pick(users);
    const serverId = type.startsWith('OAuth') ? pick(oauthServers) : pick(servers);
    const credentials = `credentials-${serverId}-${userId}`;
    switch (type) {
      case 'UserRegistered':
        return { streamId: `user-${userId}`, type, data: { userId, name: `Name of ${userId}`, role: pick(roles), passwordHash: `scrypt$16384$8$1$salt${secrets}$hash` } };
      case 'UserRenamed':
        return { streamId: `user-${userId}`, type, data: { userId, name: `Renamed ${userId} ${Math.floor(random() * 1000)}` } };
      case 'UserRoleChanged':
        return { streamId: `user-${userId}`, type, data: { userId, role: pick(roles) } };
      case 'UserPasswordChanged':
        return { streamId: `user-${userId}`, type, data: { userId, passwordHash: `scrypt$16384$8$1$salt$changed${Math.floor(random() * 1000)}` } };
      case 'UserDisabled':
      case 'UserEnabled':
        return { streamId: `user-${userId}`, type, data: { userId } };
      case 'AccessChanged': {
        const kind = pick(['profile', 'server'] as const);
        const resourceId = kind === 'server' ? serverId : `profile-${Math.floor(random() * size)}`;
        return {
          streamId: `access-${kind}-${resourceId}`, type,
          data: { kind, resourceId, ownerId: random() < 0.8 ? userId : null, visibility: pick(['private', 'shared'] as const), sharedWithUsers: some(users.slice(0, 4)), sharedWithRoles: some(roles) },
        };
      }
      case 'PersonalAccessTokenIssued': {
        const tokenId = pick(tokenIds);
        return {
          streamId: `pat-${tokenId}`, type,
          data: { tokenId, userId, name: `token of ${userId}`, hash: `hash-${tokenId}-${Math.floor(random() * 1e6)}`, prefix: 'ghp_Gen', expiresAt: random() < 0.5 ? '2027-01-01T00:00:00.000Z' : null },
        };
      }
      case 'PersonalAccessTokenRevoked': {
        const tokenId = pick(tokenIds);
        return { streamId: `pat-${tokenId}`, type, data: { tokenId, userId } };
      }
      case 'UserCredentialsSet':
        return {
          streamId: credentials, type,
          data: { serverId, userId, bearerToken: random() < 0.5 ? secret() : null, env: random() < 0.5 ? { TOKEN: secret() } : {} },
        };
      case 'UserCredentialsRemoved':
        return { streamId: credentials, type, data: { serverId, userId } };
      case 'UserOAuthTokensGranted':
        return { streamId: credentials, type, data: { serverId, userId, client: client(), server: endpoints(), resource: random() < 0.5 ? 'http://127.0.0.1:9/mcp' : null, ...tokenSet() } };
      case 'UserOAuthTokensRefreshed':
        return { streamId: credentials, type, data: { serverId, userId, ...tokenSet() } };
      case 'UserOAuthTokensRevoked':
        return { streamId: credentials, type, data: { serverId, userId, ...revocation() } };
      case 'OAuthClientRegistered':
        return { streamId: `oauth-${serverId}`, type, data: { serverId, ...client() } };
      case 'OAuthTokensGranted':
        return {
          streamId: `oauth-${serverId}`, type,
          data: { serverId, clientId: pick(clients), server: endpoints(), resource: random() < 0.5 ? 'http://127.0.0.1:9/mcp' : null, ...tokenSet() },
        };
      case 'OAuthTokensRefreshed':
        return { streamId: `oauth-${serverId}`, type, data: { serverId, ...tokenSet() } };
      case 'OAuthTokensRevoked':
        return { streamId: `oauth-${serverId}`, type, data: { serverId, ...revocation(), clientRejected: random() < 0.5 } };
      case 'OAuthClientRejected':
        return { streamId: `oauth-${serverId}`, type, data: { serverId, clientId: pick(clients) } };
    }
  };
  // Every type at least once, in this order, then at random.
  return Array.from({ length: count }, (_, i) => next(i < IDENTITY_EVENT_TYPES.length ? IDENTITY_EVENT_TYPES[i] : pick(IDENTITY_EVENT_TYPES)));
};

/**
 * Appends generated events to the store, each after its stream's last event, with its own
 * metadata (`now` gives the times), `perTransaction` at a time.
 */
export const appendGenerated = async (store: EventStore, events: readonly GeneratedEvent[], now: () => Date, perTransaction = 500): Promise<void> => {
  const versions = new Map<string, number>();
  for (let start = 0; start < events.length; start += perTransaction) {
    await store.transact(async (tx) => {
      for (const { streamId, type, data } of events.slice(start, start + perTransaction)) {
        const version = versions.get(streamId) ?? (await tx.streamVersion(streamId));
        versions.set(streamId, version + 1);
        const recordedAt = now().toISOString();
        await tx.append(streamId, [{ id: `generated-${streamId}-${version + 1}-${recordedAt}`, type, data }], version, { actor: 'generated', correlationId: recordedAt, causationId: null, recordedAt });
      }
    });
  }
};
