import { ACCESS_EVENT_TYPES } from './access/events';
import { USER_CREDENTIALS_EVENT_TYPES } from './credentials/events';
import { APIKEY_EVENT_TYPES } from './apikey/events';
import { OAUTH_EVENT_TYPES } from './oauth/events';
import { PAT_EVENT_TYPES } from './pat/events';
import { PROFILE_EVENT_TYPES } from './profile/events';
import { SERVER_EVENT_TYPES } from './server/events';
import { SETTINGS_EVENT_TYPES } from './settings/events';
import { USER_EVENT_TYPES } from './user/events';

/** Every type of event the configuration's log holds, for filters that should refuse a misspelt one. */
export const EVENT_TYPES: readonly string[] = [...SERVER_EVENT_TYPES, ...PROFILE_EVENT_TYPES, ...APIKEY_EVENT_TYPES, ...SETTINGS_EVENT_TYPES, ...OAUTH_EVENT_TYPES, ...USER_EVENT_TYPES, ...ACCESS_EVENT_TYPES, ...PAT_EVENT_TYPES, ...USER_CREDENTIALS_EVENT_TYPES];

/** The types among `requested` that no event has, or an empty list. */
export const unknownEventTypes = (requested: readonly string[]): string[] => requested.filter((type) => !EVENT_TYPES.includes(type));
