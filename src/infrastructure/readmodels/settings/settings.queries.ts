import * as settings from '../../../domain/settings';
import { loadState, type EventLog } from '../../eventstore';

/**
 * The effective settings (defaults with every change applied) and the stream version for the
 * ETag. Read from the settings stream, not the `settings` table: one small stream, and the
 * version comes with it (the table keeps each setting's last change, for `gatehouse rebuild`
 * and for people reading the database).
 */
export const currentSettings = async (log: EventLog): Promise<{ settings: settings.Settings; version: number }> => {
  const { state, version } = await loadState(log, settings.settingsDecider, settings.SETTINGS_STREAM_ID);
  return { settings: state, version };
};
