import { deciderSpec } from '../../../test/support/decider-spec';
import type { ProfileCommand } from './commands';
import { profileDecider, snapshotOf } from './decider';
import type { ProfileEvent, ProfileSettings, ProfileSnapshot } from './events';

const spec = deciderSpec(profileDecider);

const settings: ProfileSettings = {
  slug: 'dev',
  name: 'Development',
  description: 'Dev tools',
  toolPrefix: 'on_conflict',
  toolExposure: 'all',
  adaptiveToolLimit: 20,
  auth: { apiKey: true, queryParam: true },
  debugLogging: true,
};
const source: ProfileSnapshot = {
  profileId: 'prf-source',
  ...settings,
  servers: [
    { serverId: 'srv-a', status: 'active' },
    { serverId: 'srv-b', status: 'inactive' },
  ],
  tools: [
    { serverId: 'srv-a', toolName: 'echo', status: 'inactive', override: {} },
    { serverId: 'srv-a', toolName: 'add', status: 'active', override: { name: 'sum', description: 'Adds' } },
  ],
};
const clone = (changes: Partial<{ slug: string; name: string; description: string | null }> = {}): ProfileCommand => ({
  type: 'CloneProfile',
  data: { profileId: 'prf-copy', slug: 'dev-copy', source, ...changes },
});

describe('cloning a profile', () => {
  describe('given no profile under the new id', () => {
    it('creates it with the source settings under the new slug, then its links and tool settings', () => {
      const decision = spec.given().when(clone({ name: 'Copy of dev' }));
      expect(decision).toEqual({
        events: [
          { type: 'ProfileCreated', data: { profileId: 'prf-copy', ...settings, slug: 'dev-copy', name: 'Copy of dev' } },
          { type: 'ServerAttached', data: { profileId: 'prf-copy', serverId: 'srv-a', status: 'active' } },
          { type: 'ServerAttached', data: { profileId: 'prf-copy', serverId: 'srv-b', status: 'inactive' } },
          { type: 'ToolStatusChanged', data: { profileId: 'prf-copy', serverId: 'srv-a', toolName: 'echo', status: 'inactive' } },
          { type: 'ToolOverridden', data: { profileId: 'prf-copy', serverId: 'srv-a', toolName: 'add', override: { name: 'sum', description: 'Adds' } } },
        ],
      });
    });

    it('folds into the same configuration as the source, apart from id, slug and name', () => {
      const decision = spec.given().when(clone());
      if (!('events' in decision)) throw new Error('expected events');
      const copy = snapshotOf(spec.given(...decision.events).state());
      expect(copy).toEqual({ ...source, profileId: 'prf-copy', slug: 'dev-copy', name: 'dev-copy' });
    });

    it('takes a new description, or none', () => {
      const decision = spec.given().when(clone({ description: null }));
      expect('events' in decision && decision.events[0]).toMatchObject({ data: { description: null } });
    });

    it('refuses an invalid slug', () => {
      expect(spec.given().when(clone({ slug: 'Not A Slug' }))).toMatchObject({ error: 'INVALID_SLUG' });
    });
  });

  describe('given a profile under the new id', () => {
    const existing: ProfileEvent = { type: 'ProfileCreated', data: { profileId: 'prf-copy', ...settings, slug: 'other' } };
    it('refuses to overwrite it', () => {
      expect(spec.given(existing).when(clone())).toMatchObject({ error: 'PROFILE_ALREADY_EXISTS' });
    });
    it('refuses a deleted one', () => {
      expect(spec.given(existing, { type: 'ProfileDeleted', data: { profileId: 'prf-copy', slug: 'other' } }).when(clone())).toMatchObject({ error: 'PROFILE_DELETED' });
    });
  });
});
