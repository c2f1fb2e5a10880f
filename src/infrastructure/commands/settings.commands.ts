import * as settings from '../../domain/settings';
import { handleCommand, type CommandContext } from './handle-command';
import type { ManagedEventStore } from '../eventstore/typeorm-event-store';

export class SettingsCommands {
  constructor(private readonly store: ManagedEventStore) {}

  change(changes: Partial<settings.Settings>, context: CommandContext) {
    return handleCommand(this.store, settings.settingsDecider, settings.SETTINGS_STREAM_ID, { type: 'ChangeSettings', data: { changes } }, context);
  }
}
