import { deciderSpec } from '../../../test/support/decider-spec';
import type { ProfileCommand, ToolPatch } from './commands';
import { profileDecider, snapshotOf } from './decider';
import type { ProfileEvent, ToolOverride } from './events';

const spec = deciderSpec(profileDecider);
const profileId = 'prf-1';
const serverId = 'srv-1';
const tool = { profileId, serverId, toolName: 'read' };

const created: ProfileEvent = {
  type: 'ProfileCreated',
  data: {
    profileId,
    slug: 'dev',
    name: 'Development',
    description: null,
    toolPrefix: 'always',
    toolExposure: 'all',
    adaptiveToolLimit: 20,
    auth: { apiKey: true, queryParam: false },
    debugLogging: false,
  },
};
const overridden = (override: ToolOverride, toolName = 'read'): ProfileEvent => ({
  type: 'ToolOverridden',
  data: { ...tool, toolName, override },
});
const statusChanged = (status: 'active' | 'inactive'): ProfileEvent => ({
  type: 'ToolStatusChanged',
  data: { ...tool, status },
});
const cleared: ProfileEvent = { type: 'ToolOverrideCleared', data: tool };

const setTool = (patch: ToolPatch, toolName = 'read'): ProfileCommand => ({
  type: 'SetTool',
  data: { profileId, serverId, toolName, ...patch },
});

describe('profile decider: tool settings', () => {
  describe('given a tool nobody has set (of a server not attached, not yet discovered)', () => {
    it('deactivates it', () => {
      expect(spec.given(created).when(setTool({ status: 'inactive' }))).toEqual({ events: [statusChanged('inactive')] });
    });

    it('appends nothing for the default status', () => {
      expect(spec.given(created).when(setTool({ status: 'active' }))).toEqual({ events: [] });
    });

    it('overrides fields', () => {
      const patch = { name: 'fs_read', description: 'Read a file', annotations: { readOnlyHint: true } };
      expect(spec.given(created).when(setTool(patch))).toEqual({ events: [overridden(patch)] });
    });

    it('appends nothing when fields are cleared that were never set', () => {
      expect(spec.given(created).when(setTool({ name: null, title: null }))).toEqual({ events: [] });
    });

    it('changes status and override in one go', () => {
      expect(spec.given(created).when(setTool({ status: 'inactive', title: 'Read' }))).toEqual({
        events: [statusChanged('inactive'), overridden({ title: 'Read' })],
      });
    });

    it.each(['fs read', 'x'.repeat(65), '', 'é'])('refuses the override name %j', (name) => {
      expect(spec.given(created).when(setTool({ name }))).toEqual({ error: 'INVALID_NAME', details: { field: 'name' } });
    });

    it.each<[string, ToolPatch, string]>([
      ['a title over 256 characters', { title: 'x'.repeat(257) }, 'title'],
      ['a description over 10000 characters', { description: 'x'.repeat(10_001) }, 'description'],
      ['an unknown status', { status: 'paused' as 'active' }, 'status'],
    ])('refuses %s', (_, patch, field) => {
      expect(spec.given(created).when(setTool(patch))).toEqual({ error: 'INVALID_ARGUMENT', details: { field } });
    });

    it('accepts the longest title and description', () => {
      const patch = { title: 'x'.repeat(256), description: 'x'.repeat(10_000) };
      expect(spec.given(created).when(setTool(patch))).toEqual({ events: [overridden(patch)] });
    });

    it('refuses an override name another tool of the profile already has', () => {
      expect(spec.given(created, overridden({ name: 'fs_read' }, 'cat')).when(setTool({ name: 'fs_read' }))).toMatchObject({
        error: 'TOOL_NAME_TAKEN',
        details: { field: 'name', serverId, toolName: 'cat' },
      });
    });
  });

  describe('given an overridden tool', () => {
    const given = [created, overridden({ name: 'fs_read', title: 'Read' })];

    it('keeps fields that are not in the patch', () => {
      expect(spec.given(...given).when(setTool({ description: 'Reads' }))).toEqual({
        events: [overridden({ name: 'fs_read', title: 'Read', description: 'Reads' })],
      });
    });

    it('clears one field with null', () => {
      expect(spec.given(...given).when(setTool({ title: null }))).toEqual({ events: [overridden({ name: 'fs_read' })] });
    });

    it('clears the override when every field is cleared', () => {
      expect(spec.given(...given).when(setTool({ name: null, title: null }))).toEqual({ events: [cleared] });
    });

    it('appends nothing when the patch changes nothing', () => {
      expect(spec.given(...given).when(setTool({ name: 'fs_read', status: 'active' }))).toEqual({ events: [] });
    });

    it('lets the tool keep its own override name', () => {
      expect(spec.given(...given).when(setTool({ name: 'fs_read' }))).toEqual({ events: [] });
    });

    it('compares annotations by value', () => {
      const withAnnotations = [created, overridden({ annotations: { readOnlyHint: true, title: 'x' } })];
      expect(spec.given(...withAnnotations).when(setTool({ annotations: { title: 'x', readOnlyHint: true } }))).toEqual({
        events: [],
      });
    });
  });

  describe('evolve', () => {
    it('drops a tool setting that is back at the default, so that snapshots compare', () => {
      const state = spec
        .given(created, statusChanged('inactive'), overridden({ name: 'a' }), statusChanged('active'), cleared)
        .state();
      expect(snapshotOf(state)?.tools).toEqual([]);
    });

    it('keeps status and override together', () => {
      const state = spec.given(created, statusChanged('inactive'), overridden({ name: 'a' })).state();
      expect(snapshotOf(state)?.tools).toEqual([
        { serverId, toolName: 'read', status: 'inactive', override: { name: 'a' } },
      ]);
    });
  });
});
