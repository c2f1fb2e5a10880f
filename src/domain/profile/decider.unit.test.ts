import { fold } from '../shared';
import { deciderSpec } from '../../../test/support/decider-spec';
import type { ProfileCommand, ToolPatch } from './commands';
import { profileDecider, snapshotOf } from './decider';
import type { LinkStatus, ProfileEvent, ProfileSettings, ProfileSnapshot } from './events';

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

const created: ProfileEvent = { type: 'ProfileCreated', data: { profileId, ...settings } };
const deleted: ProfileEvent = { type: 'ProfileDeleted', data: { profileId, slug: 'dev' } };
const attached = (serverId: string, status: LinkStatus = 'active'): ProfileEvent => ({
  type: 'ServerAttached',
  data: { profileId, serverId, status },
});
const overridden = (serverId: string, toolName: string, name: string): ProfileEvent => ({
  type: 'ToolOverridden',
  data: { profileId, serverId, toolName, override: { name } },
});

const create = (changes: Partial<ProfileSettings> = {}): ProfileCommand => ({
  type: 'CreateProfile',
  data: { profileId, settings: { ...settings, ...changes } },
});
const update = (changes: Partial<ProfileSettings>): ProfileCommand => ({
  type: 'UpdateProfile',
  data: { profileId, changes },
});
const remove: ProfileCommand = { type: 'DeleteProfile', data: { profileId } };
const link = (serverId: string, status: LinkStatus = 'active', serverRemoved = false): ProfileCommand => ({
  type: 'SetServerLink',
  data: { profileId, serverId, status, serverRemoved },
});
const detach = (serverId: string, reason: 'detached' | 'server_removed' = 'detached'): ProfileCommand => ({
  type: 'DetachServer',
  data: { profileId, serverId, reason },
});
const setTool = (serverId: string, toolName: string, patch: ToolPatch): ProfileCommand => ({
  type: 'SetTool',
  data: { profileId, serverId, toolName, ...patch },
});

describe('profile decider', () => {
  describe('given no profile', () => {
    it('creates one', () => {
      expect(spec.given().when(create())).toEqual({ events: [created] });
    });

    it('refuses an invalid slug', () => {
      expect(spec.given().when(create({ slug: 'Dev Team' }))).toMatchObject({ error: 'INVALID_SLUG' });
    });

    it.each(['', '   ', 'x'.repeat(129)])('refuses the name %j', (name) => {
      expect(spec.given().when(create({ name }))).toEqual({ error: 'INVALID_ARGUMENT', details: { field: 'name' } });
    });

    it('refuses an unknown tool exposure mode', () => {
      expect(spec.given().when(create({ toolExposure: 'smart' as ProfileSettings['toolExposure'] }))).toEqual({ error: 'INVALID_ARGUMENT', details: { field: 'toolExposure' } });
    });

    it('accepts a name of 128 characters', () => {
      expect(spec.given().when(create({ name: 'x'.repeat(128) }))).toMatchObject({ events: [{ type: 'ProfileCreated' }] });
    });

    it.each<ProfileCommand>([
      update({ name: 'x' }),
      remove,
      link('srv-1'),
      detach('srv-1'),
      setTool('srv-1', 'read', { status: 'inactive' }),
    ])(
      'reports $type as not found',
      (command) => {
        expect(spec.given().when(command)).toMatchObject({ error: 'PROFILE_NOT_FOUND' });
      },
    );

    it('has nothing to clean up when a server is removed', () => {
      expect(spec.given().when(detach('srv-1', 'server_removed'))).toEqual({ events: [] });
    });
  });

  describe('given an active profile', () => {
    it('accepts the same creation again without appending', () => {
      expect(spec.given(created).when(create())).toEqual({ events: [] });
    });

    it('refuses a different creation under the same id', () => {
      expect(spec.given(created).when(create({ name: 'Other' }))).toMatchObject({ error: 'PROFILE_ALREADY_EXISTS' });
    });

    describe('when updated', () => {
      it('carries only the fields that changed', () => {
        const changes = { name: 'Development', toolPrefix: 'never' as const, auth: { apiKey: true, queryParam: true } };
        const { toolPrefix, auth } = changes;
        expect(spec.given(created).when(update(changes))).toEqual({
          events: [{ type: 'ProfileUpdated', data: { profileId, changes: { toolPrefix, auth } } }],
        });
      });

      it('records an auth mode, and a mode set back to api_keys without it (absent means api_keys)', () => {
        const oauth = { auth: { apiKey: true, queryParam: false, mode: 'oauth' as const } };
        expect(spec.given(created).when(update(oauth))).toEqual({ events: [{ type: 'ProfileUpdated', data: { profileId, changes: oauth } }] });
        expect(spec.given(created).when(update({ auth: { apiKey: true, queryParam: false, mode: 'api_keys' } }))).toEqual({ events: [] });
      });

      it('refuses an unknown auth mode', () => {
        expect(spec.given(created).when(update({ auth: { apiKey: true, queryParam: false, mode: 'magic' as never } }))).toMatchObject({ error: 'INVALID_ARGUMENT' });
      });

      it('compares auth by value', () => {
        expect(spec.given(created).when(update({ auth: { queryParam: false, apiKey: true } }))).toEqual({ events: [] });
      });

      it('refuses an invalid slug', () => {
        expect(spec.given(created).when(update({ slug: '-dev' }))).toMatchObject({ error: 'INVALID_SLUG' });
      });
    });

    it('deletes it', () => {
      expect(spec.given(created).when(remove)).toEqual({ events: [deleted] });
    });

    describe('when a server link is set', () => {
      it('attaches a server', () => {
        expect(spec.given(created).when(link('srv-1', 'inactive'))).toEqual({ events: [attached('srv-1', 'inactive')] });
      });

      it('changes the status of an attached server', () => {
        expect(spec.given(created, attached('srv-1')).when(link('srv-1', 'inactive'))).toEqual({
          events: [{ type: 'ServerStatusChanged', data: { profileId, serverId: 'srv-1', status: 'inactive' } }],
        });
      });

      it('appends nothing when the link already has that status', () => {
        expect(spec.given(created, attached('srv-1')).when(link('srv-1'))).toEqual({ events: [] });
      });

      it('refuses to attach a removed server', () => {
        expect(spec.given(created).when(link('srv-1', 'active', true))).toMatchObject({ error: 'SERVER_REMOVED' });
      });
    });

    describe('when a server is detached', () => {
      it('detaches an attached server', () => {
        expect(spec.given(created, attached('srv-1')).when(detach('srv-1'))).toEqual({
          events: [{ type: 'ServerDetached', data: { profileId, serverId: 'srv-1', reason: 'detached' } }],
        });
      });

      it('refuses a server that is not attached', () => {
        expect(spec.given(created).when(detach('srv-1'))).toMatchObject({ error: 'SERVER_NOT_ATTACHED' });
      });

      it('has nothing to clean up for a removed server that was not attached', () => {
        expect(spec.given(created).when(detach('srv-1', 'server_removed'))).toEqual({ events: [] });
      });

      it('keeps the tool settings of that server for a later re-attach', () => {
        const detached: ProfileEvent = {
          type: 'ServerDetached',
          data: { profileId, serverId: 'srv-1', reason: 'detached' },
        };
        const state = spec.given(created, attached('srv-1'), overridden('srv-1', 'read', 'fs_read'), detached).state();
        expect(snapshotOf(state)?.tools).toEqual([
          { serverId: 'srv-1', toolName: 'read', status: 'active', override: { name: 'fs_read' } },
        ]);
      });
    });
  });

  describe('given a deleted profile', () => {
    it.each<ProfileCommand>([
      create(),
      update({ name: 'x' }),
      link('srv-1'),
      detach('srv-1'),
      setTool('srv-1', 'read', {}),
    ])(
      'refuses $type',
      (command) => {
        expect(spec.given(created, deleted).when(command)).toMatchObject({ error: 'PROFILE_DELETED' });
      },
    );

    it('deletes it again without appending', () => {
      expect(spec.given(created, deleted).when(remove)).toEqual({ events: [] });
    });

    it('has nothing to clean up when a server is removed', () => {
      const given = [created, attached('srv-1'), deleted];
      expect(spec.given(...given).when(detach('srv-1', 'server_removed'))).toEqual({ events: [] });
    });

    it('keeps its last snapshot', () => {
      expect(spec.given(created, attached('srv-1'), deleted).state()).toMatchObject({
        status: 'deleted',
        servers: [{ serverId: 'srv-1', status: 'active' }],
      });
      expect(snapshotOf(spec.given(created, deleted).state())).toBeNull();
    });
  });

  describe('evolve', () => {
    it('ignores events that do not apply to the state', () => {
      const state = profileDecider.initialState();
      expect(profileDecider.evolve(state, attached('srv-1'))).toBe(state);
    });

    it('folds into the snapshot of an active profile', () => {
      const expected: ProfileSnapshot = {
        profileId,
        ...settings,
        servers: [{ serverId: 'srv-1', status: 'active' }],
        tools: [],
      };
      expect(snapshotOf(fold(profileDecider, [created, attached('srv-1')]))).toEqual(expected);
    });

    it('reads a profile created before toolExposure existed as exposing all its tools', () => {
      const { toolExposure: _absent, ...older } = settings;
      const olderCreated = { type: 'ProfileCreated', data: { profileId, ...older } } as ProfileEvent;
      expect(snapshotOf(fold(profileDecider, [olderCreated]))).toMatchObject({ toolExposure: 'all' });
      expect(snapshotOf(fold(profileDecider, [olderCreated, { type: 'ProfileUpdated', data: { profileId, changes: { toolExposure: 'search' } } }]))).toMatchObject({ toolExposure: 'search' });
    });
  });
});
