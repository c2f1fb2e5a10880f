/**
 * InputRelay between two instances' real mailboxes on one PostgreSQL database: what the holder
 * does with messages that are malformed, or whose cancel overtook them, and what the forwarding
 * instance tells a holder that took too long (and its client, when the holder took the retry but
 * did not answer it in time). (The whole round trip, with two gateway processes,
 * is test/e2e/postgres-input-relay.e2e.test.ts.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HolderUnavailableError, InputRelay, type FlowRetry } from '../../src/api/mcp/input-relay';
import { InstanceMailbox, type InstanceMessage } from '../../src/infrastructure/mcp-sessions/instance-mailbox';
import { openPostgresApplication, type OpenedApplication } from '../support/application';
import { describePostgres } from '../support/postgres';
import { storageOf } from '../../src/infrastructure/application-storage';

const retry: FlowRetry = { flowId: 'flow-1', round: 1, owner: { profileId: 'p1', keyId: null }, request: { method: 'tools/call', params: { name: 'ask', inputResponses: {} } } };

describePostgres('InputRelay on PostgreSQL', () => {
  let opened: OpenedApplication | undefined;
  let sender: InstanceMailbox;
  let holderMailbox: InstanceMailbox;
  const errors: unknown[] = [];
  const resumed: FlowRetry[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    opened = await openPostgresApplication();
    const open = async (): Promise<InstanceMailbox> => (await InstanceMailbox.open(storageOf(opened!.app).database, opened!.app.secrets, (error) => errors.push(error)))!;
    sender = await open();
    holderMailbox = await open();
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await Promise.all([sender?.close(), holderMailbox?.close()]);
    await opened?.app.close();
    await opened?.cleanup();
  });
  beforeEach(() => {
    errors.length = 0;
    resumed.length = 0;
    unhandled.length = 0;
  });

  const holder = (): InputRelay =>
    new InputRelay({
      mailbox: holderMailbox,
      resumeHere: async (received) => {
        resumed.push(received);
        return { content: [], resultType: 'complete' };
      },
      wireError: (_error, request) => ({ code: -32602, message: `refused ${request.method}`, status: 200 }),
      stepTimeoutMs: () => 5_000,
      onError: (error) => errors.push(error),
    });

  /** A relay on the sender's side, which holds no flows, and what the holder's mailbox then receives. */
  const forwardingTo = (acceptTimeoutMs: number): { forwarding: InputRelay; atHolder: InstanceMessage[] } => {
    const atHolder: InstanceMessage[] = [];
    holderMailbox.onMessage((message) => atHolder.push(message));
    const forwarding = new InputRelay({
      mailbox: sender,
      resumeHere: () => Promise.reject(new Error('not held here')),
      wireError: () => ({ code: -32603, message: 'x', status: 200 }),
      stepTimeoutMs: () => 5_000,
      acceptTimeoutMs,
      onError: (error) => errors.push(error),
    });
    return { forwarding, atHolder };
  };

  /** The sender's mailbox, recording what comes back to it. */
  const replies = (): InstanceMessage[] => {
    const received: InstanceMessage[] = [];
    sender.onMessage((message) => received.push(message));
    return received;
  };

  it('resumes a well-formed retry and sends its outcome back', async () => {
    holder();
    const received = replies();
    await sender.send(holderMailbox.instanceId, { kind: 'retry', relay: 'r-ok', from: sender.instanceId, retry }, 5_000);
    for (let i = 0; i < 100 && received.length < 2; i++) await sleep(20);
    expect(resumed).toEqual([retry]);
    expect(received.map((message) => message.kind)).toEqual(['accepted', 'outcome']);
  });

  it('drops a retry that lacks what the holder reads, without resuming anything or an unhandled rejection', async () => {
    holder();
    const received = replies();
    const { request: _request, ...withoutRequest } = retry;
    await sender.send(holderMailbox.instanceId, { kind: 'retry', relay: 'r-bad', from: sender.instanceId, retry: withoutRequest }, 5_000);
    await sleep(500);
    expect(unhandled).toEqual([]);
    expect(resumed).toEqual([]);
    expect(received).toEqual([]);
  });

  it('does not resume a retry whose cancel arrived first', async () => {
    holder();
    const received = replies();
    await sender.send(holderMailbox.instanceId, { kind: 'cancel', relay: 'r-late' }, 5_000);
    await sleep(200);
    await sender.send(holderMailbox.instanceId, { kind: 'retry', relay: 'r-late', from: sender.instanceId, retry }, 5_000);
    await sleep(500);
    expect(resumed).toEqual([]);
    expect(received).toEqual([]);
  });

  it('tells a holder that did not take the retry in time to drop it, when it answers its client', async () => {
    const { forwarding, atHolder } = forwardingTo(300);
    const refused = forwarding.forward(holderMailbox.instanceId, retry, new AbortController().signal);
    await expect(refused).rejects.toBeInstanceOf(HolderUnavailableError);
    await expect(refused).rejects.toMatchObject({ code: 'HOLDER_GONE' });
    for (let i = 0; i < 100 && atHolder.length < 2; i++) await sleep(20);
    expect(atHolder.map((message) => message.kind)).toEqual(['retry', 'cancel']);
    expect(atHolder[1].relay).toBe(atHolder[0].relay);
  });

  it('gives up with HOLDER_TIMEOUT when the holder took the retry but did not answer it in time', async () => {
    let release = (): void => undefined;
    const stalled = new Promise<Record<string, unknown>>((resolve) => {
      release = () => resolve({ content: [], resultType: 'complete' });
    });
    new InputRelay({
      mailbox: holderMailbox,
      resumeHere: () => stalled,
      wireError: () => ({ code: -32603, message: 'x', status: 200 }),
      stepTimeoutMs: () => 5_000,
      onError: (error) => errors.push(error),
    });
    const forwarding = new InputRelay({
      mailbox: sender,
      resumeHere: () => Promise.reject(new Error('not held here')),
      wireError: () => ({ code: -32603, message: 'x', status: 200 }),
      stepTimeoutMs: () => 300,
      acceptTimeoutMs: 1_000,
      onError: (error) => errors.push(error),
    });
    try {
      const late = forwarding.forward(holderMailbox.instanceId, retry, new AbortController().signal);
      await expect(late).rejects.toBeInstanceOf(HolderUnavailableError);
      await expect(late).rejects.toMatchObject({ code: 'HOLDER_TIMEOUT' });
    } finally {
      release();
    }
  });

  it('logs a serve that fails on the holder instead of leaving an unhandled rejection', async () => {
    const broken = new Error('wireError broke');
    new InputRelay({
      mailbox: holderMailbox,
      resumeHere: () => Promise.reject(new Error('the flow failed')),
      wireError: () => {
        throw broken;
      },
      stepTimeoutMs: () => 5_000,
      onError: (error) => errors.push(error),
    });
    await sender.send(holderMailbox.instanceId, { kind: 'retry', relay: 'r-broken', from: sender.instanceId, retry }, 5_000);
    for (let i = 0; i < 100 && !errors.includes(broken); i++) await sleep(20);
    expect(errors).toContain(broken);
    expect(unhandled).toEqual([]);
  });

  it('cancels at once, without sending the retry, when the client had already closed', async () => {
    const { forwarding, atHolder } = forwardingTo(3_000);
    const closed = new AbortController();
    const reason = new Error('the client went away');
    closed.abort(reason);
    const started = Date.now();
    await expect(forwarding.forward(holderMailbox.instanceId, retry, closed.signal)).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1_000);
    for (let i = 0; i < 100 && atHolder.length < 1; i++) await sleep(20);
    await sleep(300);
    expect(atHolder.map((message) => message.kind)).toEqual(['cancel']);
  });
});
