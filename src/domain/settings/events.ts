import type { DomainEvent } from '../shared';

/** Gateway-wide settings. Every field has a default; SettingsChanged carries only changes. */
export type Settings = Readonly<{
  /** Upper bound for one upstream request (tools/call, resources/read, …). */
  requestTimeoutMs: number;
  /** Upper bound for connecting and initialising an upstream. */
  connectTimeoutMs: number;
  /** A downstream MCP session with no traffic for this long is closed. */
  sessionIdleTimeoutMs: number;
  /** Debug-log rows older than this are deleted. */
  logRetentionDays: number;
  /** At most this many debug-log rows are kept. */
  logMaxRows: number;
  /** Params and results in debug logs are truncated to this many bytes. */
  logPayloadMaxBytes: number;
  /** Upper bound of upstream processes per server in per-session isolation. */
  maxProcessesPerServer: number;
  /** When not empty, upstream URLs must have one of these hosts. */
  upstreamAllowedHosts: readonly string[];
}>;

export const DEFAULT_SETTINGS: Settings = {
  requestTimeoutMs: 60_000,
  connectTimeoutMs: 10_000,
  sessionIdleTimeoutMs: 30 * 60_000,
  logRetentionDays: 7,
  logMaxRows: 100_000,
  logPayloadMaxBytes: 16_384,
  maxProcessesPerServer: 8,
  upstreamAllowedHosts: [],
};

export type SettingsChanged = DomainEvent<'SettingsChanged', { changes: Partial<Settings> }>;

export type SettingsEvent = SettingsChanged;

export const SETTINGS_EVENT_TYPES: readonly SettingsEvent['type'][] = ['SettingsChanged'];

export const SETTINGS_STREAM_ID = 'settings';
