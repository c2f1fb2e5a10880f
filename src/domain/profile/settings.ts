import {
  DomainError,
  type FieldEquality,
  assertProfileSlug,
  changedFields,
  lineProblem,
  textProblem,
  jsonEqual,
  strictEqual,
} from '../shared';
import { AUTH_MODES, DEFAULT_ADAPTIVE_TOOL_LIMIT, MAX_ADAPTIVE_TOOL_LIMIT, TOOL_EXPOSURE_MODES, TOOL_PREFIX_MODES, type AuthMode, type ProfileAuth, type ProfileSettings } from './events';

export const MAX_PROFILE_NAME_LENGTH = 128;
export const MAX_PROFILE_DESCRIPTION_LENGTH = 10_000;

const PROFILE_SETTINGS_EQUALITY: FieldEquality<ProfileSettings> = {
  slug: strictEqual,
  name: strictEqual,
  description: strictEqual,
  toolPrefix: strictEqual,
  toolExposure: strictEqual,
  adaptiveToolLimit: strictEqual,
  auth: jsonEqual,
  debugLogging: strictEqual,
};

/** A profile's auth mode (`api_keys` when it has none: see ProfileAuth.mode). */
export const authModeOf = (auth: ProfileAuth): AuthMode => auth.mode ?? 'api_keys';

/** Auth in its one recorded shape: `mode` only when it is not the default. */
const normalAuth = (auth: ProfileAuth): ProfileAuth => {
  const mode = authModeOf(auth);
  return mode === 'api_keys' ? { apiKey: auth.apiKey, queryParam: auth.queryParam } : { apiKey: auth.apiKey, queryParam: auth.queryParam, mode };
};

/** Just the settings of anything that has them (a snapshot, a state, an untrusted command). */
export const profileSettingsOf = (source: ProfileSettings): ProfileSettings => ({
  slug: source.slug,
  name: source.name,
  description: source.description,
  toolPrefix: source.toolPrefix,
  // Events from before the setting existed carry none: they meant every tool listed.
  toolExposure: source.toolExposure ?? 'all',
  adaptiveToolLimit: source.adaptiveToolLimit ?? DEFAULT_ADAPTIVE_TOOL_LIMIT,
  auth: normalAuth(source.auth),
  debugLogging: source.debugLogging,
});

/** The settings in `to` that differ from `from` (`{}` when they are the same). */
export const diffProfileSettings = (from: ProfileSettings, to: ProfileSettings): Partial<ProfileSettings> =>
  changedFields(profileSettingsOf(from), profileSettingsOf(to), PROFILE_SETTINGS_EQUALITY);

const invalid = (field: string, message: string): DomainError => new DomainError('INVALID_ARGUMENT', message, { field });

export const assertValidProfileSettings = (settings: ProfileSettings): void => {
  assertProfileSlug(settings.slug);
  if (settings.name.trim() === '' || settings.name.length > MAX_PROFILE_NAME_LENGTH) {
    throw invalid('name', `name must have 1 to ${MAX_PROFILE_NAME_LENGTH} characters`);
  }
  const nameProblem = lineProblem(settings.name);
  if (nameProblem !== null) throw invalid('name', `name ${nameProblem}`);
  const descriptionProblem = settings.description === null ? null : textProblem(settings.description);
  if (descriptionProblem !== null) throw invalid('description', `description ${descriptionProblem}`);
  if (settings.description !== null && settings.description.length > MAX_PROFILE_DESCRIPTION_LENGTH) {
    throw invalid('description', `description must have at most ${MAX_PROFILE_DESCRIPTION_LENGTH} characters`);
  }
  if (!TOOL_PREFIX_MODES.includes(settings.toolPrefix)) {
    throw invalid('toolPrefix', `toolPrefix must be one of ${TOOL_PREFIX_MODES.join(', ')}`);
  }
  if (!AUTH_MODES.includes(authModeOf(settings.auth))) {
    throw invalid('auth.mode', `auth.mode must be one of ${AUTH_MODES.join(', ')}`);
  }
  if (!TOOL_EXPOSURE_MODES.includes(settings.toolExposure)) {
    throw invalid('toolExposure', `toolExposure must be one of ${TOOL_EXPOSURE_MODES.join(', ')}`);
  }
  if (!Number.isInteger(settings.adaptiveToolLimit) || settings.adaptiveToolLimit < 1 || settings.adaptiveToolLimit > MAX_ADAPTIVE_TOOL_LIMIT) {
    throw invalid('adaptiveToolLimit', `adaptiveToolLimit must be an integer from 1 to ${MAX_ADAPTIVE_TOOL_LIMIT}`);
  }
};
