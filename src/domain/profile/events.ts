import type { DomainEvent } from '../shared';

export const TOOL_PREFIX_MODES = ['always', 'on_conflict', 'never'] as const;
export type ToolPrefixMode = (typeof TOOL_PREFIX_MODES)[number];

/**
 * How a profile shows its tools: `all` lists every exposed tool; `search` lists two gateway
 * tools (`search_tools`, `call_tool`) instead, so a model with a small context finds a tool
 * before it sees its definition; `adaptive` is `search` plus, in each session, the tools that
 * session's searches found (up to `adaptiveToolLimit`).
 */
export const TOOL_EXPOSURE_MODES = ['all', 'search', 'adaptive'] as const;
export const DEFAULT_ADAPTIVE_TOOL_LIMIT = 20;
export const MAX_ADAPTIVE_TOOL_LIMIT = 200;
export type ToolExposureMode = (typeof TOOL_EXPOSURE_MODES)[number];

export const LINK_STATUSES = ['active', 'inactive'] as const;
export type LinkStatus = (typeof LINK_STATUSES)[number];

/**
 * Which credentials a profile's MCP endpoint takes: API keys (as before OAuth existed), OAuth
 * access tokens Gatehouse issued for this profile's endpoint, or either.
 */
export const AUTH_MODES = ['api_keys', 'oauth', 'both'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export type ProfileAuth = Readonly<{
  /** false opens the profile's MCP endpoint without an API key (local use, conformance runs). */
  apiKey: boolean;
  /** true also accepts the key as `?api_key=` (for clients that cannot set headers). */
  queryParam: boolean;
  /**
   * Absent means `api_keys`: events recorded before OAuth existed carry none, and a profile
   * set back to `api_keys` is recorded without it, so equal settings always look the same.
   */
  mode?: AuthMode;
}>;

export type ProfileSettings = Readonly<{
  slug: string;
  name: string;
  description: string | null;
  toolPrefix: ToolPrefixMode;
  /** Absent from events recorded before it existed: read as `all` (see `profileSettingsOf`). */
  toolExposure: ToolExposureMode;
  /** How many found tools an `adaptive` session lists at most (absent before it existed: the default). */
  adaptiveToolLimit: number;
  auth: ProfileAuth;
  debugLogging: boolean;
}>;

/** Per-profile overrides of one upstream tool; absent fields are not overridden. */
export type ToolOverride = Readonly<{
  name?: string;
  title?: string;
  description?: string;
  annotations?: Readonly<Record<string, unknown>>;
}>;

export type ToolSetting = Readonly<{
  serverId: string;
  toolName: string;
  status: LinkStatus;
  override: ToolOverride;
}>;

export type AttachedServer = Readonly<{ serverId: string; status: LinkStatus }>;

export type ProfileSnapshot = Readonly<
  ProfileSettings & {
    profileId: string;
    servers: readonly AttachedServer[];
    tools: readonly ToolSetting[];
  }
>;

export type ProfileCreated = DomainEvent<'ProfileCreated', ProfileSettings & { profileId: string }>;
export type ProfileUpdated = DomainEvent<'ProfileUpdated', { profileId: string; changes: Partial<ProfileSettings> }>;
export type ProfileDeleted = DomainEvent<'ProfileDeleted', { profileId: string; slug: string }>;
/** A deleted profile brought back by a revert, whole: settings, servers and tool settings. */
export type ProfileRestored = DomainEvent<'ProfileRestored', ProfileSnapshot>;
export type ServerAttached = DomainEvent<'ServerAttached', { profileId: string; serverId: string; status: LinkStatus }>;
export type ServerDetached = DomainEvent<
  'ServerDetached',
  { profileId: string; serverId: string; reason: 'detached' | 'server_removed' }
>;
export type ServerStatusChanged = DomainEvent<
  'ServerStatusChanged',
  { profileId: string; serverId: string; status: LinkStatus }
>;
export type ToolStatusChanged = DomainEvent<
  'ToolStatusChanged',
  { profileId: string; serverId: string; toolName: string; status: LinkStatus }
>;
/** Carries the whole override after the change (absent fields are not overridden). */
export type ToolOverridden = DomainEvent<
  'ToolOverridden',
  { profileId: string; serverId: string; toolName: string; override: ToolOverride }
>;
export type ToolOverrideCleared = DomainEvent<
  'ToolOverrideCleared',
  { profileId: string; serverId: string; toolName: string }
>;

export type ProfileEvent =
  | ProfileCreated
  | ProfileUpdated
  | ProfileDeleted
  | ProfileRestored
  | ServerAttached
  | ServerDetached
  | ServerStatusChanged
  | ToolStatusChanged
  | ToolOverridden
  | ToolOverrideCleared;

export const PROFILE_EVENT_TYPES: readonly ProfileEvent['type'][] = [
  'ProfileCreated',
  'ProfileUpdated',
  'ProfileDeleted',
  'ProfileRestored',
  'ServerAttached',
  'ServerDetached',
  'ServerStatusChanged',
  'ToolStatusChanged',
  'ToolOverridden',
  'ToolOverrideCleared',
];

export const profileStreamId = (profileId: string): string => `profile-${profileId}`;
