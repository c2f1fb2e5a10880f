export * from './commands';
export * from './decider';
export * from './events';
export {
  MAX_PROFILE_DESCRIPTION_LENGTH,
  MAX_PROFILE_NAME_LENGTH,
  assertValidProfileSettings,
  diffProfileSettings,
  profileSettingsOf,
} from './settings';
export { MAX_TOOL_DESCRIPTION_LENGTH, MAX_TOOL_TITLE_LENGTH, TOOL_OVERRIDE_NAME_PATTERN, toolSettingOf } from './tools';
export { profileNotFound } from './state';
