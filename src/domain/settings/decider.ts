import {
  type Decider,
  type FieldEquality,
  assertNever,
  unknownEvent,
  changedFields,
  isEmptyObject,
  jsonEqual,
  strictEqual,
  withoutUndefined,
} from '../shared';
import type { ChangeSettings, SettingsCommand } from './commands';
import { DEFAULT_SETTINGS, type Settings, type SettingsEvent } from './events';
import { assertValidSettings } from './validate';

/** The settings stream always exists: it starts at the defaults and only ever changes. */
export type SettingsState = Settings;

export const initialState = (): SettingsState => DEFAULT_SETTINGS;

const SETTINGS_EQUALITY: FieldEquality<Settings> = {
  requestTimeoutMs: strictEqual,
  connectTimeoutMs: strictEqual,
  sessionIdleTimeoutMs: strictEqual,
  logRetentionDays: strictEqual,
  logMaxRows: strictEqual,
  logPayloadMaxBytes: strictEqual,
  maxProcessesPerServer: strictEqual,
  upstreamAllowedHosts: jsonEqual,
};

/** The current settings with the given changes; keys that are not settings are ignored. */
const merged = (state: Settings, changes: Partial<Settings>): Settings => {
  const next = { ...state, ...withoutUndefined(changes) };
  return Object.fromEntries(Object.keys(SETTINGS_EQUALITY).map((key) => [key, next[key as keyof Settings]])) as Settings;
};

const changeSettings = ({ data }: ChangeSettings, state: SettingsState): SettingsEvent[] => {
  const next = merged(state, data.changes);
  assertValidSettings(next);
  const changes = changedFields(state, next, SETTINGS_EQUALITY);
  return isEmptyObject(changes) ? [] : [{ type: 'SettingsChanged', data: { changes } }];
};

export const decide = (command: SettingsCommand, state: SettingsState): SettingsEvent[] => {
  switch (command.type) {
    case 'ChangeSettings':
      return changeSettings(command, state);
    default:
      // With a single command `command` itself is not narrowed to never, its `type` is.
      return assertNever(command.type);
  }
};

export const evolve = (state: SettingsState, event: SettingsEvent): SettingsState => {
  switch (event.type) {
    case 'SettingsChanged':
      return merged(state, event.data.changes);
    default:
      return unknownEvent(event.type, state);
  }
};

export const settingsDecider: Decider<SettingsState, SettingsCommand, SettingsEvent> = { decide, evolve, initialState };
