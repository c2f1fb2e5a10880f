import { createHash } from 'node:crypto';
import { fixtureServer, httpSpec, startHttpServer, textOf, type RunningHttpServer } from '../../../test/fixtures/upstream-fixtures';
import { SecretBox, type DataKey } from '../crypto';
import type { StoredEvent } from '../eventstore';
import { DEFAULT_SETTINGS } from '../../domain/settings/events';
import { UpstreamPool, type McpCallToolResult, type UpstreamSpec } from '../upstream';
import { UpstreamCatalog } from './catalog';
import { CredentialDirectory } from './credential-directory';
import type { ProxyProfile } from './profile-config';
import { ProfileDirectory } from './profile-directory';
import { ProfileProxy } from './profile-proxy';
import { UpstreamHub, type ClientPeer } from './upstream-hub';

const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');
const key: DataKey = { id: 'test-key', key: Buffer.alloc(32, 7) };
const secrets = new SecretBox(key, new Map([[key.id, key]]));

type Stats = { held: number; initializes: number; calls: number };

/** Settles as `work` does, or rejects once `ms` passed with it still pending (a bound, not a wait). */
const within = <T>(work: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([work, bound]).finally(() => clearTimeout(timer));
};

const peerOf = (userId: string): ClientPeer => {
  const refuse = (): Promise<never> => Promise.reject(new Error('this peer answers no questions'));
  return { sessionId: `session-of-${userId}`, userId, createMessage: refuse, elicit: refuse, listRoots: refuse, listsChanged: () => undefined };
};

/**
 * A user's per-user connection is closed when their credentials change (the config follower
 * calls releaseUser on the emission that gives the new ones to the credential directory). A
 * call waiting for that connection to connect was never sent: it goes on the new one. The
 * fixture holds the `initialize` of the first connection, so the call is waiting, for sure,
 * when the credentials change.
 */
describe('a user\'s connection replaced while a call waits for it', () => {
  let upstream: RunningHttpServer;
  let spec: UpstreamSpec;
  const pool = new UpstreamPool({ connection: { connectTimeoutMs: 20_000 } });
  const credentials = new CredentialDirectory(secrets);
  const hub = new UpstreamHub(pool, credentials);
  let position = 0;

  const hook = async (name: 'stats' | 'hold' | 'release'): Promise<Stats> =>
    (await (await fetch(`${upstream.baseUrl}/__test/${name}`, { method: name === 'stats' ? 'GET' : 'POST' })).json()) as Stats;
  const untilHeld = async (count: number): Promise<void> => {
    for (let tries = 0; (await hook('stats')).held < count; tries++) {
      if (tries > 200) throw new Error(`the upstream did not hold ${count} initialize requests`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  /** As the credential directory gets it from the committed UserCredentialsSet. */
  const setToken = (userId: string, token: string): void => {
    position++;
    const event: StoredEvent = {
      position,
      id: `event-${position}`,
      streamId: `credentials-${spec.id}-${userId}`,
      version: position,
      type: 'UserCredentialsSet',
      schemaVersion: 1,
      data: { serverId: spec.id, userId, bearerToken: secrets.seal(token), env: {} },
      metadata: { actor: `user:${userId}`, correlationId: `c-${position}`, causationId: null },
      recordedAt: new Date().toISOString(),
    } as StoredEvent;
    credentials.apply(event);
  };
  const whoami = (hubOf: UpstreamHub, userId: string, args: Record<string, unknown> = {}): Promise<McpCallToolResult> =>
    hubOf.request(spec, peerOf(userId), (connection) => connection.callTool({ name: 'whoami', arguments: args }));
  const tokenOf = (result: McpCallToolResult): string => (JSON.parse(textOf(result)) as { tokenSha256: string }).tokenSha256;

  beforeAll(async () => {
    upstream = await startHttpServer([fixtureServer('whoami-server.js')]);
    spec = httpSpec(`${upstream.baseUrl}/mcp`, 'streamable_http', { credentials: 'per_user' });
  });
  afterEach(async () => {
    await hook('release');
  });
  afterAll(async () => {
    await pool.closeAll();
    await upstream.stop();
  });

  it('sends it once, on the new connection, with the new credentials, without waiting out the old connect', async () => {
    setToken('ann', 'ann-old-token');
    await hook('hold');
    // More calls than an AbortSignal's listener limit wait on the one connect.
    const calls = Array.from({ length: 12 }, () => whoami(hub, 'ann'));
    await untilHeld(1);
    setToken('ann', 'ann-new-token');
    const released = pool.releaseUser('ann', spec.id);
    // The old connect is still held: the calls went on without it.
    const results = await within(Promise.all(calls), 10_000, 'the calls waiting for the replaced connection');
    expect(new Set(results.map(tokenOf))).toEqual(new Set([sha256('ann-new-token')]));
    expect(await hook('stats')).toMatchObject({ held: 1, calls: 12 });
    await hook('release');
    await released;
  });

  it('lists the server\'s tools to a session whose list waited for the replaced connection', async () => {
    const profile: ProxyProfile = {
      id: 'profile-1', slug: 'team', toolPrefix: 'always', toolExposure: 'all', adaptiveToolLimit: 10,
      auth: { apiKey: true, queryParam: false, mode: 'api_keys' }, debugLogging: false, servers: [spec], tools: new Map(), pins: new Map(),
    };
    const proxy = new ProfileProxy(
      { hub, catalog: new UpstreamCatalog(), profiles: new ProfileDirectory(async () => profile), settings: () => DEFAULT_SETTINGS },
      profile.id,
      peerOf('dan'),
    );
    setToken('dan', 'dan-old-token');
    await hook('hold');
    const listed = proxy.listTools();
    await untilHeld(1);
    setToken('dan', 'dan-new-token');
    const released = pool.releaseUser('dan', spec.id);
    const tools = await within(listed, 10_000, 'the list waiting for the replaced connection');
    expect(tools.map((tool) => tool.name)).toEqual([`${spec.name}__whoami`]);
    await hook('release');
    await released;
  });

  it('never sends again a call that was sent before its connection was replaced', async () => {
    setToken('bob', 'bob-old-token');
    expect(tokenOf(await whoami(hub, 'bob'))).toBe(sha256('bob-old-token'));
    const { calls } = await hook('stats');
    const call = whoami(hub, 'bob', { delayMs: 5_000 });
    for (let tries = 0; (await hook('stats')).calls === calls; tries++) {
      if (tries > 200) throw new Error('the call did not reach the upstream');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    setToken('bob', 'bob-new-token');
    await pool.releaseUser('bob', spec.id);
    const failure = await within(call.then(() => null, (error: unknown) => error), 10_000, 'the call in flight');
    expect(failure).toMatchObject({ resendable: false });
    expect((await hook('stats')).calls).toBe(calls + 1);
    // The next call goes with the new credentials.
    expect(tokenOf(await whoami(hub, 'bob'))).toBe(sha256('bob-new-token'));
  });

  it('fails a waiting call at once, and sends it nowhere, when its user is disabled or the gateway shuts down', async () => {
    setToken('cat', 'cat-token');
    const before = await hook('hold');
    const disabled = whoami(hub, 'cat');
    await untilHeld(1);
    const released = pool.releaseUser('cat');
    await expect(within(disabled, 10_000, 'the call of a disabled user')).rejects.toMatchObject({ code: 'UPSTREAM_CLOSED', resendable: false });
    await hook('release');
    await released;

    const closing = new UpstreamPool({ connection: { connectTimeoutMs: 20_000 } });
    await hook('hold');
    const shutDown = whoami(new UpstreamHub(closing, credentials), 'cat');
    await untilHeld(1);
    const closed = closing.closeAll();
    await expect(within(shutDown, 10_000, 'the call at shutdown')).rejects.toMatchObject({ code: 'UPSTREAM_CLOSED', resendable: false });
    await hook('release');
    await closed;
    // Each connect was asked once, neither call was sent.
    expect(await hook('stats')).toMatchObject({ initializes: before.initializes + 2, calls: before.calls });
  });
});
