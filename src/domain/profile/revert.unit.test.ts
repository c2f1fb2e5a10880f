import { fold } from '../shared';
import { deciderSpec } from '../../../test/support/decider-spec';
import type { ProfileCommand } from './commands';
import { profileDecider, snapshotOf } from './decider';
import type { ProfileEvent, ProfileSettings, ProfileSnapshot } from './events';

const spec = deciderSpec(profileDecider);
const profileId = 'prf-1';

const settings: ProfileSettings = {
  slug: 'dev',
  name: 'Development',
  description: null,
  toolPrefix: 'always',
  toolExposure: 'all',
  adaptiveToolLimit: 20,
  auth: { apiKey: true, queryParam: false },
  debugLogging: false,
};

/** The profile as it was at the position we revert to. */
const target: ProfileSnapshot = {
  profileId,
  ...settings,
  servers: [
    { serverId: 'srv-a', status: 'active' },
    { serverId: 'srv-b', status: 'inactive' },
  ],
  tools: [
    { serverId: 'srv-a', toolName: 'read', status: 'inactive', override: {} },
    { serverId: 'srv-a', toolName: 'write', status: 'active', override: { name: 'fs_write' } },
  ],
};

const created: ProfileEvent = { type: 'ProfileCreated', data: { profileId, ...settings } };
const history: ProfileEvent[] = [
  created,
  { type: 'ServerAttached', data: { profileId, serverId: 'srv-a', status: 'active' } },
  { type: 'ServerAttached', data: { profileId, serverId: 'srv-b', status: 'inactive' } },
  { type: 'ToolStatusChanged', data: { profileId, serverId: 'srv-a', toolName: 'read', status: 'inactive' } },
  { type: 'ToolOverridden', data: { profileId, serverId: 'srv-a', toolName: 'write', override: { name: 'fs_write' } } },
];
/** What happened after the target position. */
const later: ProfileEvent[] = [
  { type: 'ProfileUpdated', data: { profileId, changes: { name: 'Dev', debugLogging: true } } },
  { type: 'ServerDetached', data: { profileId, serverId: 'srv-a', reason: 'detached' } },
  { type: 'ServerStatusChanged', data: { profileId, serverId: 'srv-b', status: 'active' } },
  { type: 'ServerAttached', data: { profileId, serverId: 'srv-c', status: 'active' } },
  { type: 'ToolStatusChanged', data: { profileId, serverId: 'srv-a', toolName: 'read', status: 'active' } },
  {
    type: 'ToolOverridden',
    data: { profileId, serverId: 'srv-a', toolName: 'write', override: { name: 'w', title: 'W' } },
  },
  { type: 'ToolOverridden', data: { profileId, serverId: 'srv-c', toolName: 'x', override: { description: 'X' } } },
];
const deleted: ProfileEvent = { type: 'ProfileDeleted', data: { profileId, slug: 'dev' } };

const revert = (to: ProfileSnapshot | null, removedServerIds: string[] = []): ProfileCommand => ({
  type: 'RevertProfile',
  data: { profileId, target: to, removedServerIds },
});

/** Link and tool order carry no meaning; sort them to compare snapshots. */
const sorted = (snapshot: ProfileSnapshot | null): ProfileSnapshot | null =>
  snapshot && {
    ...snapshot,
    servers: [...snapshot.servers].sort((a, b) => a.serverId.localeCompare(b.serverId)),
    tools: [...snapshot.tools].sort((a, b) => `${a.serverId}/${a.toolName}`.localeCompare(`${b.serverId}/${b.toolName}`)),
  };

const snapshotAfterRevert = (given: ProfileEvent[], command: ProfileCommand): ProfileSnapshot | null => {
  const outcome = spec.given(...given).when(command);
  if (!('events' in outcome)) throw new Error(`revert failed: ${outcome.error}`);
  return sorted(snapshotOf(fold(profileDecider, [...given, ...outcome.events])));
};

describe('profile decider: revert', () => {
  it('reports a profile that never existed as not found', () => {
    expect(spec.given().when(revert(target))).toMatchObject({ error: 'PROFILE_NOT_FOUND' });
  });

  describe('given an active profile', () => {
    it('appends nothing when it already is the target', () => {
      expect(spec.given(...history).when(revert(target))).toEqual({ events: [] });
    });

    it('deletes it when it did not exist at the target', () => {
      expect(spec.given(...history).when(revert(null))).toEqual({ events: [deleted] });
    });

    it('undoes settings, links and tool settings changed since', () => {
      expect(spec.given(...history, ...later).when(revert(target))).toEqual({
        events: [
          { type: 'ProfileUpdated', data: { profileId, changes: { name: 'Development', debugLogging: false } } },
          { type: 'ServerDetached', data: { profileId, serverId: 'srv-c', reason: 'detached' } },
          { type: 'ServerAttached', data: { profileId, serverId: 'srv-a', status: 'active' } },
          { type: 'ServerStatusChanged', data: { profileId, serverId: 'srv-b', status: 'inactive' } },
          { type: 'ToolStatusChanged', data: { profileId, serverId: 'srv-a', toolName: 'read', status: 'inactive' } },
          {
            type: 'ToolOverridden',
            data: { profileId, serverId: 'srv-a', toolName: 'write', override: { name: 'fs_write' } },
          },
          { type: 'ToolOverrideCleared', data: { profileId, serverId: 'srv-c', toolName: 'x' } },
        ],
      });
      expect(snapshotAfterRevert([...history, ...later], revert(target))).toEqual(sorted(target));
    });

    it('does not re-attach servers removed since, and detaches them if still attached', () => {
      const aRemoved: ProfileEvent = {
        type: 'ServerDetached',
        data: { profileId, serverId: 'srv-a', reason: 'server_removed' },
      };
      const after = snapshotAfterRevert([...history, aRemoved], revert(target, ['srv-a', 'srv-b']));
      expect(after).toEqual(sorted({ ...target, servers: [] }));
    });
  });

  describe('given a deleted profile', () => {
    it('restores it whole', () => {
      expect(spec.given(...history, ...later, deleted).when(revert(target))).toEqual({
        events: [{ type: 'ProfileRestored', data: target }],
      });
      expect(snapshotAfterRevert([...history, ...later, deleted], revert(target))).toEqual(sorted(target));
    });

    it('restores it without links to servers removed since', () => {
      expect(spec.given(...history, deleted).when(revert(target, ['srv-b']))).toEqual({
        events: [{ type: 'ProfileRestored', data: { ...target, servers: [{ serverId: 'srv-a', status: 'active' }] } }],
      });
    });

    it('appends nothing for a revert to a time it did not exist', () => {
      expect(spec.given(...history, deleted).when(revert(null))).toEqual({ events: [] });
    });
  });
});
