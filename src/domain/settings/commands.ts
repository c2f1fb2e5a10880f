import type { DomainCommand } from '../shared';
import type { Settings } from './events';

/** A PATCH: absent (or undefined) fields are left as they are. */
export type ChangeSettings = DomainCommand<'ChangeSettings', { changes: Partial<Settings> }>;

export type SettingsCommand = ChangeSettings;
