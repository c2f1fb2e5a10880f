import type { SettingsEvent } from '../../domain/settings/events';
import { SETTINGS_EVENT_TYPES } from '../../domain/settings/events';
import type { InlineProjection, Sql, StoredEvent } from '../eventstore';
import { json } from '../eventstore';

/** One row per changed setting; settings never changed keep their defaults and have no row. */
const applySettingsEvent = (event: StoredEvent, sql: Sql): void => {
  const domainEvent = { type: event.type, data: event.data } as SettingsEvent;
  for (const [key, value] of Object.entries(domainEvent.data.changes)) {
    sql.run(
      `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      key, json(value), event.recordedAt,
    );
  }
};

export const settingsProjection: InlineProjection = {
  name: 'settings',
  eventTypes: new Set<string>(SETTINGS_EVENT_TYPES),
  tables: ['settings'],
  apply: applySettingsEvent,
};
