import * as settings from '../../domain/settings';
import type { GatehouseContext } from './context';
import { handleCommand, loadStateAt, type CommandContext } from './handle-command';

export const changeSettings = (ctx: GatehouseContext, changes: Partial<settings.Settings>, context: CommandContext) =>
  handleCommand(ctx.store, settings.settingsDecider, settings.SETTINGS_STREAM_ID, { type: 'ChangeSettings', data: { changes } }, context);

/** The effective settings (defaults with every change applied) and the stream version for the ETag. */
export const currentSettings = async (ctx: GatehouseContext): Promise<{ settings: settings.Settings; version: number }> => {
  const { state, version } = await loadStateAt(ctx.store, settings.settingsDecider, settings.SETTINGS_STREAM_ID);
  return { settings: state, version };
};
