import { EVENT_TYPES } from '../../domain/event-types';
import type { StoredEvent } from '../eventstore';
import { impactOf, serverReleaseOf, serverRetryOf, type ConfigImpact } from './config-impact';

const event = (type: string, data: object = {}): StoredEvent => ({
  position: 1, id: 'e-1', streamId: 'stream-1', version: 1, type, schemaVersion: 1, metadata: { actor: 'test', correlationId: 'c-1', causationId: null, recordedAt: '2026-01-01T00:00:00.000Z' }, recordedAt: '2026-01-01T00:00:00.000Z',
  data: { profileId: 'p1', serverId: 's1', keyId: 'k1', userId: 'u1', ...data },
});

const ALL = { tools: true, prompts: true, resources: true };
const NAMES = { tools: true, prompts: true };
const TOOLS = { tools: true };
const NONE: ConfigImpact = { profiles: new Map(), servers: new Map(), reconnect: [], removed: [], maybeUnused: [], revokedKeys: [], disabledUsers: [], accessChanged: [], roleChanged: [], authorized: [] };
const impact = (parts: Partial<ConfigImpact>): ConfigImpact => ({ ...NONE, ...parts });
const profile = (kinds: object) => new Map([['p1', kinds]]);
const server = (kinds: object) => new Map([['s1', kinds]]);

/** What one event of each type means for the live proxy (the types left out change nothing). */
const EFFECTS: Readonly<Record<string, ConfigImpact>> = {
  ProfileUpdated: impact({ profiles: profile(NAMES) }),
  ProfileDeleted: impact({ profiles: profile(ALL) }),
  ProfileRestored: impact({ profiles: profile(ALL) }),
  ServerAttached: impact({ profiles: profile(ALL) }),
  ServerDetached: impact({ profiles: profile(ALL), maybeUnused: ['s1'] }),
  ServerStatusChanged: impact({ profiles: profile(ALL) }),
  ToolStatusChanged: impact({ profiles: profile(TOOLS) }),
  ToolOverridden: impact({ profiles: profile(TOOLS) }),
  ToolOverrideCleared: impact({ profiles: profile(TOOLS) }),
  ServerReconfigured: impact({ servers: server(ALL), reconnect: ['s1'] }),
  ServerRestored: impact({ servers: server(ALL), reconnect: ['s1'] }),
  ServerRenamed: impact({ servers: server(NAMES) }),
  ServerRemoved: impact({ servers: server(ALL), removed: ['s1'] }),
  ToolDefinitionApproved: impact({ servers: server(TOOLS) }),
  ToolApprovalsRestored: impact({ servers: server(TOOLS) }),
  OAuthTokensGranted: impact({ servers: server(ALL), authorized: ['s1'] }),
  OAuthTokensRevoked: impact({ servers: server(ALL) }), // an admin's revocation (reason revoked) closes its connections at once: serverReleaseOf
  ApiKeyRevoked: impact({ revokedKeys: ['k1'] }),
  UserDisabled: impact({ disabledUsers: ['u1'] }),
  UserRoleChanged: impact({ roleChanged: ['u1'] }),
  UserCredentialsSet: impact({ servers: server(ALL) }),
  UserCredentialsRemoved: impact({ servers: server(ALL) }),
  UserOAuthTokensGranted: impact({ servers: server(ALL) }),
  UserOAuthTokensRevoked: impact({ servers: server(ALL) }),
};

describe('impactOf (what committed events mean for the live proxy)', () => {
  it.each(EVENT_TYPES.map((type) => [type]))('%s', (type) => {
    expect(impactOf([event(type)])).toEqual(EFFECTS[type] ?? NONE);
  });

  it('keeps the sessions of a user disabled and enabled again in the same batch', () => {
    expect(impactOf([event('UserDisabled'), event('UserEnabled')]).disabledUsers).toEqual([]);
    expect(impactOf([event('UserEnabled'), event('UserDisabled')]).disabledUsers).toEqual(['u1']);
  });

  it('checks the OAuth sessions of a profile whose access changed, not of a server', () => {
    expect(impactOf([event('AccessChanged', { kind: 'profile', resourceId: 'p1' })]).accessChanged).toEqual(['p1']);
    expect(impactOf([event('AccessChanged', { kind: 'server', resourceId: 's1' })])).toEqual(NONE);
  });

  it('lets a server that a profile made inactive end, not one it made active', () => {
    expect(impactOf([event('ServerStatusChanged', { status: 'inactive' })]).maybeUnused).toEqual(['s1']);
    expect(impactOf([event('ServerStatusChanged', { status: 'active' })]).maybeUnused).toEqual([]);
  });

  it('merges the lists of a batch, in commit order', () => {
    const batch = impactOf([event('ToolStatusChanged'), event('ProfileUpdated'), event('ServerRenamed'), event('ServerRemoved'), event('ServerRestored')]);
    expect(batch.profiles).toEqual(profile(NAMES));
    expect(batch.servers).toEqual(server(ALL));
    expect(batch).toMatchObject({ removed: ['s1'], reconnect: ['s1'] });
  });

  it('ignores a type this build does not know (written by a newer one)', () => {
    expect(impactOf([event('ServerArchived')])).toEqual(NONE);
  });
});

describe('serverReleaseOf (whose connections close the moment an event commits)', () => {
  it('closes a server\'s connections when its OAuth tokens are revoked, and for no other event', () => {
    expect(serverReleaseOf(event('OAuthTokensRevoked', { reason: 'revoked' }))).toBe('s1');
    expect(EVENT_TYPES.filter((type) => serverReleaseOf(event(type, { reason: 'revoked' })) !== null)).toEqual(['OAuthTokensRevoked']);
  });

  it('leaves a refused refresh to the batch, which closes them there (the request that asked for the refresh still gets its 401)', () => {
    expect(serverReleaseOf(event('OAuthTokensRevoked', { reason: 'refresh_failed' }))).toBeNull();
    expect(impactOf([event('OAuthTokensRevoked', { reason: 'refresh_failed' })])).toMatchObject({ removed: ['s1'] });
    expect(impactOf([event('OAuthTokensRevoked', { reason: 'revoked' })])).toMatchObject({ removed: [] });
  });
});

describe('serverRetryOf (whose backed-off connections try again the moment an event commits)', () => {
  it('wakes a server\'s connections when OAuth tokens are granted to it, and for no other event', () => {
    expect(serverRetryOf(event('OAuthTokensGranted'))).toBe('s1');
    expect(EVENT_TYPES.filter((type) => type !== 'OAuthTokensGranted' && serverRetryOf(event(type)) !== null)).toEqual([]);
  });
});
