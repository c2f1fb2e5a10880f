import type { InlineProjection } from '../eventstore';
import { AccessRow, accessProjection } from './access';
import { ApiKeyRow, apiKeyProjection } from './apikey';
import { UserCredentialsRow, userCredentialsProjection } from './credentials';
import { OAuthRegistrationRow, OAuthTokenRow, oauthProjection } from './oauth';
import { PersonalAccessTokenRow, patProjection } from './pat';
import { PROFILE_ENTITIES, profileProjection } from './profile';
import { ServerRow, serverProjection } from './server';
import { SettingRow, settingsProjection } from './settings';
import { ToolRow, toolProjection } from './tools';
import { UserRow, userProjection } from './user';

/** Every configuration read model, updated inline with the append that causes it. */
export const CONFIGURATION_PROJECTIONS: readonly InlineProjection[] = [
  serverProjection,
  toolProjection,
  profileProjection,
  apiKeyProjection,
  settingsProjection,
  oauthProjection,
  userProjection,
  accessProjection,
  patProjection,
  userCredentialsProjection,
];

export const READ_MODEL_ENTITIES = [ServerRow, ToolRow, ...PROFILE_ENTITIES, ApiKeyRow, SettingRow, OAuthRegistrationRow, OAuthTokenRow, UserRow, AccessRow, PersonalAccessTokenRow, UserCredentialsRow];
