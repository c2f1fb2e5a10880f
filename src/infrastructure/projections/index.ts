import type { InlineProjection } from '../eventstore';
import { apiKeyProjection } from './apikey.projection';
import { oauthProjection } from './oauth.projection';
import { profileProjection } from './profile.projection';
import { serverProjection } from './server.projection';
import { settingsProjection } from './settings.projection';

/** Every configuration read model, updated inline with the append that causes it. */
export const CONFIGURATION_PROJECTIONS: readonly InlineProjection[] = [
  serverProjection,
  profileProjection,
  apiKeyProjection,
  settingsProjection,
  oauthProjection,
];

export { apiKeyProjection, oauthProjection, profileProjection, serverProjection, settingsProjection };
