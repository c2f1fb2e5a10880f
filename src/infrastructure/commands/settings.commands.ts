import * as settings from '../../domain/settings';
import type { EventStore } from '../eventstore';
import { handleCommand, type CommandContext } from './handle-command';

export class SettingsCommands {
  constructor(private readonly store: EventStore) {}

  change(changes: Partial<settings.Settings>, context: CommandContext) {
    return handleCommand(this.store, settings.settingsDecider, settings.SETTINGS_STREAM_ID, { type: 'ChangeSettings', data: { changes } }, context);
  }
}
