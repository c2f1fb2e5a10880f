import * as settings from '../../domain/settings';
import type { Settings } from '../../domain/settings/events';
import type { StoredEvent } from '../eventstore';

/**
 * The gateway-wide settings as they are now, kept by folding the settings stream's events as
 * they are committed (the decider's own `evolve`), so that reading them costs nothing.
 */
export class SettingsDirectory {
  private state: Settings;

  constructor(initial: Settings) {
    this.state = initial;
  }

  readonly current = (): Settings => this.state;

  apply(event: StoredEvent): void {
    if (event.streamId !== settings.SETTINGS_STREAM_ID) return;
    this.state = settings.settingsDecider.evolve(this.state, { type: event.type, data: event.data } as settings.SettingsEvent);
  }
}
