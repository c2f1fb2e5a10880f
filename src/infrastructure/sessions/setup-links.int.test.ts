import { useTestDatabase } from '../../../test/support/application';
import { SETUP_LINK_LIFETIME_MS, SetupLinks } from './setup-links';
import { SetupLinkRow } from './setup-link.entity';

describe('setup links', () => {
  const database = useTestDatabase();
  let now = new Date('2026-03-01T10:00:00.000Z');
  const links = () => new SetupLinks(database(), () => now);

  it('opens /setup for an hour, storing only the token\'s hash', async () => {
    now = new Date('2026-03-01T10:00:00.000Z');
    const { token, expiresAt } = await links().issue();
    expect(expiresAt).toBe('2026-03-01T11:00:00.000Z');
    const rows = await database().reads.getRepository(SetupLinkRow).find();
    expect(JSON.stringify(rows)).not.toContain(token.slice(5));
    expect(await links().isOpen(token)).toBe(true);
    now = new Date(now.getTime() + SETUP_LINK_LIFETIME_MS - 1);
    expect(await links().isOpen(token)).toBe(true);
    now = new Date(Date.parse(expiresAt));
    expect(await links().isOpen(token)).toBe(false);
  });

  it('drops lapsed links when it issues one, and every link when the owner exists', async () => {
    const fresh = await links().issue();
    expect(await database().reads.getRepository(SetupLinkRow).count()).toBe(1);
    expect(await links().isOpen(fresh.token)).toBe(true);
    await links().closeAll();
    expect(await links().isOpen(fresh.token)).toBe(false);
  });

  it.each([undefined, null, 42, ['ghsu_x'], '', 'ghsu_', `ghsu_${'A'.repeat(200)}`, 'not a token'])('opens nothing for %j', async (token) => {
    expect(await links().isOpen(token)).toBe(false);
  });
});
