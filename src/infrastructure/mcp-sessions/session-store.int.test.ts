import { describeOnBothBackends, type OpenedApplication } from '../../../test/support/application';
import { SessionStore, type StoredSession } from './session-store';
import { storageOf } from '../application-storage';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');

const session = (id: string, lastActivity = T0): StoredSession => ({
  id,
  profileId: 'profile-1',
  keyId: 'key-1',
  initialize: { protocolVersion: '2025-06-18', capabilities: { elicitation: { form: {} } }, clientInfo: { name: 'c', version: '1' } },
  logLevel: null,
  subscriptions: [],
  lastActivity,
});

/** The stored sessions of Streamable HTTP clients, on a real migrated database of each backend. */
const contract = (open: () => Promise<OpenedApplication>): void => {
  let opened: OpenedApplication | undefined;
  let store: SessionStore;

  beforeAll(async () => {
    opened = await open();
    store = new SessionStore(storageOf(opened.app).database);
  });
  afterAll(async () => {
    await opened?.app.close();
    await opened?.cleanup();
  });

  it('keeps what the client said at initialize, and what it changed since', async () => {
    await store.create(session('a'));
    await store.setLogLevel('a', 'warning');
    await store.setSubscriptions('a', ['test://x', 'test://y']);
    expect(await store.byId('a')).toEqual({ ...session('a'), logLevel: 'warning', subscriptions: ['test://x', 'test://y'] });
    expect(await store.byId('nope')).toBeNull();
  });

  it('moves the last activity forward, never back', async () => {
    await store.create(session('b'));
    await store.recordActivity([{ id: 'b', at: T0 + 5_000 }]);
    await store.recordActivity([{ id: 'b', at: T0 + 1_000 }]);
    expect((await store.byId('b'))?.lastActivity).toBe(T0 + 5_000);
  });

  it('ends a session for good, or for idleness only if nobody heard from it since', async () => {
    await store.create(session('c'));
    await store.create(session('d'));
    await store.recordActivity([{ id: 'd', at: T0 + 10_000 }]);
    await store.end('c');
    // This instance last heard from d at T0; another one did later.
    await store.end('d', T0);
    expect(await store.byId('c')).toBeNull();
    expect(await store.byId('d')).not.toBeNull();
    await store.end('d', T0 + 10_000);
    expect(await store.byId('d')).toBeNull();
  });

  it('sweeps the sessions not heard from since a moment', async () => {
    await store.create(session('old', T0));
    await store.create(session('new', T0 + 60_000));
    await store.endIdle(T0 + 30_000);
    expect(await store.byId('old')).toBeNull();
    expect(await store.byId('new')).not.toBeNull();
  });
};

describeOnBothBackends('SessionStore', contract);
