import { EVENT_TYPES } from '../../domain/event-types';
import { PROFILE_EVENT_TYPES } from '../../domain/profile/events';
import type { StoredEvent } from '../eventstore';
import type { ProxyProfile } from './profile-config';
import { ProfileDirectory } from './profile-directory';

const event = (type: string, streamId: string): StoredEvent => ({
  position: 1, id: 'e-1', streamId, version: 1, type, schemaVersion: 1, data: { profileId: 'p1', serverId: 's1' },
  metadata: { actor: 'test', correlationId: 'c-1', causationId: null, recordedAt: '2026-01-01T00:00:00.000Z' }, recordedAt: '2026-01-01T00:00:00.000Z',
});

/** The events of other streams that change a profile holding server s1. */
const DROPS_HOLDERS = ['ServerReconfigured', 'ServerRenamed', 'ServerRemoved', 'ServerRestored', 'ToolDefinitionApproved', 'ToolApprovalsRestored'];

describe('ProfileDirectory (which events drop a snapshot)', () => {
  let reads: number;
  let directory: ProfileDirectory;

  beforeEach(async () => {
    reads = 0;
    directory = new ProfileDirectory(async () => {
      reads += 1;
      return { id: 'p1', slug: 'dev', servers: [{ id: 's1' }] } as unknown as ProxyProfile;
    });
    await directory.byId('p1');
  });

  /** Whether the next lookup after `applied` reads the profile again. */
  const dropped = async (applied: StoredEvent): Promise<boolean> => {
    directory.apply(applied);
    await directory.byId('p1');
    return reads === 2;
  };

  it.each(PROFILE_EVENT_TYPES.map((type) => [type]))('%s on its profile\'s stream drops its snapshot', async (type) => {
    expect(await dropped(event(type, 'profile-p1'))).toBe(true);
  });

  it.each(EVENT_TYPES.filter((type) => !PROFILE_EVENT_TYPES.includes(type as never)).map((type) => [type]))('%s on another stream', async (type) => {
    expect(await dropped(event(type, 'server-s1'))).toBe(DROPS_HOLDERS.includes(type));
  });

  it('keeps the snapshot of a profile that does not hold the server', async () => {
    directory.apply({ ...event('ServerReconfigured', 'server-s2'), data: { serverId: 's2' } });
    await directory.byId('p1');
    expect(reads).toBe(1);
  });
});
