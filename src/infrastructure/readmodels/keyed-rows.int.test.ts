import { useTestDatabase } from '../../../test/support/application';
import type { StoredEvent } from '../eventstore';
import { keyedRowsProjection } from './keyed-rows';
import { UserRow } from './user/user.entity';

/** One event through a projection whose match names `status` with the value the event carries (possibly undefined). */
const probe = keyedRowsProjection({
  name: 'probe',
  eventTypes: ['Probe'],
  tables: { users: { entity: UserRow, key: ['id'] } },
  apply: async ({ users }, event) => {
    const data = event.data as { create?: boolean; status?: 'enabled' | 'disabled' };
    if (data.create) return users.upsert({ id: 'u1', name: 'ada', role: 'member', status: 'enabled', passwordHash: 'x', version: 1, createdAt: 't', updatedAt: 't' });
    return users.update({ id: 'u1', status: data.status }, { name: 'renamed' });
  },
});

const event = (data: object): StoredEvent =>
  ({ position: 1, id: 'e', streamId: 'user-u1', version: 1, type: 'Probe', schemaVersion: 1, data, recordedAt: 't', metadata: {} }) as StoredEvent;

describe('keyed rows: the same match in SQL and in memory', () => {
  const db = useTestDatabase();

  it('refuses a match with an undefined column in both, and matches a defined one in both', async () => {
    await db().write((manager) => probe.apply(event({ create: true }), manager));
    await expect(db().write((manager) => probe.apply(event({}), manager))).rejects.toThrow();
    const replay = probe.replay!();
    await replay.apply(event({ create: true }));
    await expect(replay.apply(event({}))).rejects.toThrow(/undefined status/);

    await db().write((manager) => probe.apply(event({ status: 'enabled' }), manager));
    await replay.apply(event({ status: 'enabled' }));
    const sql = await db().reads.getRepository(UserRow).findOneByOrFail({ id: 'u1' });
    expect(sql.name).toBe('renamed');
    await db().write((manager) => manager.getRepository(UserRow).clear());
    await db().write((manager) => replay.write(manager));
    expect(await db().reads.getRepository(UserRow).find()).toEqual([sql]);
  });
});
