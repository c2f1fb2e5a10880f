import * as settings from '../../domain/settings';
import { loadState, type EventLog, type EventStore } from '../eventstore';
import { handleCommand, type CommandContext } from './handle-command';

/** The effective settings (defaults with every change applied) and the stream version for the ETag. */
export const currentSettings = async (log: EventLog): Promise<{ settings: settings.Settings; version: number }> => {
  const { state, version } = await loadState(log, settings.settingsDecider, settings.SETTINGS_STREAM_ID);
  return { settings: state, version };
};

export class SettingsCommands {
  constructor(private readonly store: EventStore) {}

  change(changes: Partial<settings.Settings>, context: CommandContext) {
    return handleCommand(this.store, settings.settingsDecider, settings.SETTINGS_STREAM_ID, { type: 'ChangeSettings', data: { changes } }, context);
  }
}
