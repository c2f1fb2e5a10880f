import type { EntityManager } from 'typeorm';
import type { SettingsEvent } from '../../../domain/settings/events';
import { SETTINGS_EVENT_TYPES } from '../../../domain/settings/events';
import type { InlineProjection, ProjectionReplay, StoredEvent } from '../../eventstore';
import { insertRows } from '../../persistence/bulk-insert';
import { SettingRow } from './setting.entity';

const rowsOf = (event: StoredEvent): SettingRow[] => {
  const { data } = { type: event.type, data: event.data } as SettingsEvent;
  return Object.entries(data.changes).map(([key, value]) => ({ key, value: JSON.stringify(value), updatedAt: event.recordedAt }));
};

const applySettingsEvent = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const rows = rowsOf(event);
  if (rows.length === 0) return;
  await manager.createQueryBuilder().insert().into(SettingRow).values(rows).orUpdate(['value', 'updated_at'], ['key']).updateEntity(false).execute();
};

/** A rebuild keeps each setting's last change and inserts them at the end. */
const replaySettings = (): ProjectionReplay => {
  const latest = new Map<string, SettingRow>();
  return {
    apply: async (event) => {
      for (const row of rowsOf(event)) latest.set(row.key, row);
    },
    write: (manager) => insertRows(manager, SettingRow, [...latest.values()]),
  };
};

export const settingsProjection: InlineProjection = {
  name: 'settings',
  eventTypes: new Set<string>(SETTINGS_EVENT_TYPES),
  tables: [SettingRow],
  apply: applySettingsEvent,
  replay: replaySettings,
};
