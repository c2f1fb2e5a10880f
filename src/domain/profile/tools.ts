import { DomainError, isEmptyObject, jsonEqual, lineProblem, textProblem } from '../shared';
import type { SetTool, ToolPatch } from './commands';
import { LINK_STATUSES, type ProfileEvent, type ToolOverride, type ToolSetting } from './events';
import { type ProfileState, requireActive } from './state';

/** Override names become exposed tool names, which clients require to match this. */
export const TOOL_OVERRIDE_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const MAX_TOOL_TITLE_LENGTH = 256;
export const MAX_TOOL_DESCRIPTION_LENGTH = 10_000;

type ToolKey = Readonly<{ serverId: string; toolName: string }>;

const sameKey = (a: ToolKey, b: ToolKey): boolean => a.serverId === b.serverId && a.toolName === b.toolName;

/** The setting of one tool; a tool nobody has set is active and not overridden. */
export const toolSettingOf = (tools: readonly ToolSetting[], key: ToolKey): ToolSetting =>
  tools.find((tool) => sameKey(tool, key)) ?? {
    serverId: key.serverId,
    toolName: key.toolName,
    status: 'active',
    override: {},
  };

/** Only the override fields that are set, in a fixed order, so that overrides compare and print alike. */
export const normalizeOverride = (override: ToolOverride): ToolOverride => {
  const result: { -readonly [K in keyof ToolOverride]: ToolOverride[K] } = {};
  if (override.name != null) result.name = override.name;
  if (override.title != null) result.title = override.title;
  if (override.description != null) result.description = override.description;
  if (override.annotations != null) result.annotations = override.annotations;
  return result;
};

const isDefault = (tool: ToolSetting): boolean => tool.status === 'active' && isEmptyObject(tool.override);

/**
 * Replaces (or adds) one tool setting. A setting back at the default is dropped, so that the
 * list holds only real settings and two snapshots with the same meaning compare equal.
 */
export const putToolSetting = (tools: readonly ToolSetting[], setting: ToolSetting): readonly ToolSetting[] => {
  const next = { ...setting, override: normalizeOverride(setting.override) };
  const index = tools.findIndex((tool) => sameKey(tool, next));
  if (isDefault(next)) return index < 0 ? tools : tools.filter((_, i) => i !== index);
  return index < 0 ? [...tools, next] : tools.map((tool, i) => (i === index ? next : tool));
};

/** The events that take one tool's setting from `from` to `to`. */
export const toolEvents = (profileId: string, from: ToolSetting, to: ToolSetting): ProfileEvent[] => {
  const key = { profileId, serverId: to.serverId, toolName: to.toolName };
  const events: ProfileEvent[] = [];
  if (from.status !== to.status) events.push({ type: 'ToolStatusChanged', data: { ...key, status: to.status } });
  const override = normalizeOverride(to.override);
  if (!jsonEqual(normalizeOverride(from.override), override)) {
    events.push(
      isEmptyObject(override)
        ? { type: 'ToolOverrideCleared', data: key }
        : { type: 'ToolOverridden', data: { ...key, override } },
    );
  }
  return events;
};

const invalid = (field: string, message: string): DomainError => new DomainError('INVALID_ARGUMENT', message, { field });

const refuse = (field: string, problem: string | null): void => {
  if (problem !== null) throw invalid(field, `${field} ${problem}`);
};

const assertValidToolPatch = (patch: ToolPatch & ToolKey): void => {
  if (patch.toolName === '') throw invalid('toolName', 'toolName must not be empty');
  refuse('toolName', lineProblem(patch.toolName));
  if (typeof patch.title === 'string') refuse('title', lineProblem(patch.title));
  if (typeof patch.description === 'string') refuse('description', textProblem(patch.description));
  if (patch.status !== undefined && !LINK_STATUSES.includes(patch.status)) {
    throw invalid('status', `status must be one of ${LINK_STATUSES.join(', ')}`);
  }
  if (typeof patch.name === 'string' && !TOOL_OVERRIDE_NAME_PATTERN.test(patch.name)) {
    throw new DomainError('INVALID_NAME', `Tool name "${patch.name}" must match ${TOOL_OVERRIDE_NAME_PATTERN.source}`, {
      field: 'name',
    });
  }
  if (typeof patch.title === 'string' && patch.title.length > MAX_TOOL_TITLE_LENGTH) {
    throw invalid('title', `title must have at most ${MAX_TOOL_TITLE_LENGTH} characters`);
  }
  if (typeof patch.description === 'string' && patch.description.length > MAX_TOOL_DESCRIPTION_LENGTH) {
    throw invalid('description', `description must have at most ${MAX_TOOL_DESCRIPTION_LENGTH} characters`);
  }
  if (patch.annotations != null && (typeof patch.annotations !== 'object' || Array.isArray(patch.annotations))) {
    throw invalid('annotations', 'annotations must be an object');
  }
};

/**
 * Two tools of one profile cannot be exposed under the same override name: TOOL_NAME_TAKEN (409,
 * like SERVER_NAME_TAKEN). This is the rule's home; an import document is also checked for it
 * before any command runs (importexport/parse-profiles.ts), only to name the document's field in
 * its refusal.
 */
const assertOverrideNameFree = (tools: readonly ToolSetting[], key: ToolKey, name: string): void => {
  const holder = tools.find((tool) => tool.override.name === name && !sameKey(tool, key));
  if (holder !== undefined) {
    throw new DomainError('TOOL_NAME_TAKEN', `Tool name "${name}" is already used in this profile`, {
      field: 'name',
      serverId: holder.serverId,
      toolName: holder.toolName,
    });
  }
};

/** undefined leaves the current value, null clears it. */
const patched = <V>(value: V | null | undefined, current: V | undefined): V | undefined =>
  value === undefined ? current : (value ?? undefined);

export const setTool = ({ data }: SetTool, state: ProfileState): ProfileEvent[] => {
  const profile = requireActive(state, data.profileId);
  assertValidToolPatch(data);
  if (typeof data.name === 'string') assertOverrideNameFree(profile.tools, data, data.name);
  const current = toolSettingOf(profile.tools, data);
  const next: ToolSetting = {
    serverId: data.serverId,
    toolName: data.toolName,
    status: data.status ?? current.status,
    override: normalizeOverride({
      name: patched(data.name, current.override.name),
      title: patched(data.title, current.override.title),
      description: patched(data.description, current.override.description),
      annotations: patched(data.annotations, current.override.annotations),
    }),
  };
  return toolEvents(data.profileId, current, next);
};
