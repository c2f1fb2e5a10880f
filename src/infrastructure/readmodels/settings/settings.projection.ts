import type { EntityManager } from 'typeorm';
import type { SettingsEvent } from '../../../domain/settings/events';
import { SETTINGS_EVENT_TYPES } from '../../../domain/settings/events';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { SettingRow } from './setting.entity';

const applySettingsEvent = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const { data } = { type: event.type, data: event.data } as SettingsEvent;
  const rows = Object.entries(data.changes).map(([key, value]) => ({ key, value: JSON.stringify(value), updatedAt: event.recordedAt }));
  if (rows.length === 0) return;
  await manager.createQueryBuilder().insert().into(SettingRow).values(rows).orUpdate(['value', 'updated_at'], ['key']).updateEntity(false).execute();
};

export const settingsProjection: InlineProjection = {
  name: 'settings',
  eventTypes: new Set<string>(SETTINGS_EVENT_TYPES),
  tables: [SettingRow],
  apply: applySettingsEvent,
};
