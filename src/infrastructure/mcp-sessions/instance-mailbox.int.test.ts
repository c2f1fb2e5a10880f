/**
 * Messages between instances on one real PostgreSQL database (two mailboxes, each on a listening
 * connection of its own, as two processes have): short ones in the notification, long ones in a
 * row the recipient takes; rows nobody took are swept once expired. On SQLite there is none.
 */
import { openPostgresApplication, openSqliteApplication, type OpenedApplication } from '../../../test/support/application';
import { describePostgres } from '../../../test/support/postgres';
import { InstanceMailbox, type InstanceMessage } from './instance-mailbox';
import { storageOf } from '../application-storage';

const failOnError = (error: unknown): never => {
  throw error;
};

const nextMessage = (mailbox: InstanceMailbox, timeoutMs = 5_000): Promise<InstanceMessage> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message')), timeoutMs);
    mailbox.onMessage((message) => {
      clearTimeout(timer);
      resolve(message);
    });
  });

describePostgres('InstanceMailbox on PostgreSQL', () => {
  let opened: OpenedApplication | undefined;
  const mailboxes: InstanceMailbox[] = [];
  const rows = async (): Promise<number> => Number(((await storageOf(opened!.app).database.reads.query('SELECT count(*) AS n FROM mcp_instance_messages')) as { n: string }[])[0].n);

  beforeAll(async () => {
    opened = await openPostgresApplication();
    for (let i = 0; i < 2; i++) mailboxes.push((await InstanceMailbox.open(storageOf(opened.app).database, opened.app.secrets, failOnError))!);
  });
  afterAll(async () => {
    await Promise.all(mailboxes.map((mailbox) => mailbox.close()));
    await opened?.app.close();
    await opened?.cleanup();
  });

  it('delivers a short message in the notification and a long one through a row its recipient takes', async () => {
    const [from, to] = mailboxes;
    expect(from.instanceId).not.toBe(to.instanceId);
    let received = nextMessage(to);
    await from.send(to.instanceId, { kind: 'short' }, 10_000);
    expect(await received).toEqual({ kind: 'short' });
    expect(await rows()).toBe(0);

    received = nextMessage(to);
    const text = 'y'.repeat(20_000);
    await from.send(to.instanceId, { kind: 'long', text }, 10_000);
    expect(await received).toEqual({ kind: 'long', text });
    expect(await rows()).toBe(0);
  });

  it('keeps a long message for an instance that is gone until it expires, then sweeps it', async () => {
    await mailboxes[0].send('an-instance-that-stopped', { text: 'z'.repeat(20_000) }, 60_000);
    expect(await rows()).toBe(1);
    expect(await mailboxes[0].removeExpired(Date.now())).toBe(0);
    expect(await mailboxes[0].removeExpired(Date.now() + 61_000)).toBe(1);
    expect(await rows()).toBe(0);
  });
});

describe('InstanceMailbox on SQLite', () => {
  it('is not opened: one instance serves a SQLite file', async () => {
    const opened = await openSqliteApplication();
    try {
      expect(await InstanceMailbox.open(storageOf(opened.app).database, opened.app.secrets, failOnError)).toBeNull();
    } finally {
      await opened.app.close();
      await opened.cleanup();
    }
  });
});
