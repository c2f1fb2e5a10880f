import { allEvents, headPosition, type EventJson } from '../support/events';
import { startTestGatehouse, TEST_ADMIN_TOKEN, type TestGatehouse } from '../support/gatehouse';
import { expectProblem } from '../support/problem';
import { openSse, type SseClient } from '../support/sse';

describe('/api/events', () => {
  let gh: TestGatehouse;
  let profileId: string;
  let serverId: string;
  beforeAll(async () => {
    gh = await startTestGatehouse();
    serverId = (await gh.api('POST', '/api/servers', { name: 'alpha', transport: 'stdio', command: 'node' })).body.id;
    profileId = (await gh.api('POST', '/api/profiles', { slug: 'dev' })).body.id;
    await gh.api('POST', '/api/profiles', { slug: 'ops' });
    await gh.api('PUT', '/api/profiles/dev/servers/alpha');
    await gh.api('PATCH', '/api/profiles/dev', { name: 'Development' });
    await gh.api('PATCH', '/api/servers/alpha', { description: 'first' });
    await gh.api('PATCH', '/api/settings', { logRetentionDays: 3 });
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('pages through the log with after/limit/next', async () => {
    const everything = (await gh.api('GET', '/api/events')).body;
    expect(everything.next).toBeNull();
    expect(everything.events.map((e: EventJson) => e.position)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const pages: EventJson[][] = [];
    let after = 0;
    for (let i = 0; i < 10; i += 1) {
      const page = await gh.api('GET', `/api/events?after=${after}&limit=3`);
      expect(page.status).toBe(200);
      pages.push(page.body.events);
      if (page.body.next === null) break;
      expect(page.body.next).toBe(page.body.events.at(-1).position);
      after = page.body.next;
    }
    expect(pages.map((page) => page.map((e) => e.position))).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(pages.flat()).toEqual(everything.events);
    const exact = await gh.api('GET', '/api/events?after=4&limit=3');
    expect(exact.body.next).toBeNull();
    expect((await gh.api('GET', '/api/events?after=7')).body).toEqual({ events: [], next: null });
  });

  it('shows each event with its stream, version, type, data and metadata', async () => {
    const [first] = (await gh.api('GET', '/api/events?limit=1')).body.events;
    expect(first).toEqual({
      position: 1, id: expect.stringMatching(/^[0-9a-f-]{36}$/), streamId: `server-${serverId}`, version: 1, type: 'ServerRegistered',
      data: expect.objectContaining({ serverId, name: 'alpha' }),
      metadata: { actor: 'admin', correlationId: expect.any(String), causationId: null, recordedAt: expect.any(String) },
    });
  });

  it('filters by stream, stream prefix and types', async () => {
    const profile = await gh.api('GET', `/api/events?stream=profile-${profileId}`);
    expect(profile.body.events.map((e: EventJson) => e.type)).toEqual(['ProfileCreated', 'ServerAttached', 'ProfileUpdated']);
    const profiles = await gh.api('GET', '/api/events?stream=profile-*');
    expect(profiles.body.events.map((e: EventJson) => e.type)).toEqual(['ProfileCreated', 'ProfileCreated', 'ServerAttached', 'ProfileUpdated']);
    const typed = await gh.api('GET', '/api/events?type=ServerRegistered,SettingsChanged');
    expect(typed.body.events.map((e: EventJson) => e.type)).toEqual(['ServerRegistered', 'SettingsChanged']);
    const both = await gh.api('GET', '/api/events?stream=profile-*&type=ProfileCreated&limit=1');
    expect(both.body.events.map((e: EventJson) => e.position)).toEqual([2]);
    expect(both.body.next).toBe(2);
    const rest = await gh.api('GET', `/api/events?stream=profile-*&type=ProfileCreated&after=${both.body.next}`);
    expect(rest.body).toEqual({ events: [expect.objectContaining({ position: 3 })], next: null });
    expect((await gh.api('GET', '/api/events?stream=settings')).body.events).toHaveLength(1);
    expect((await gh.api('GET', '/api/events?stream=nothing-here')).body).toEqual({ events: [], next: null });
  });

  it('reads the newest events with ?last=, in position order, filters and after applied', async () => {
    expect((await gh.api('GET', '/api/events?last=3')).body).toEqual({ events: [5, 6, 7].map((position) => expect.objectContaining({ position })), next: null });
    expect((await gh.api('GET', '/api/events?last=1000')).body.events.map((e: EventJson) => e.position)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const profiles = await gh.api('GET', '/api/events?stream=profile-*&last=2');
    expect(profiles.body.events.map((e: EventJson) => [e.position, e.type])).toEqual([[4, 'ServerAttached'], [5, 'ProfileUpdated']]);
    expect((await gh.api('GET', '/api/events?type=ProfileCreated&last=1')).body.events.map((e: EventJson) => e.position)).toEqual([3]);
    expect((await gh.api('GET', '/api/events?after=6&last=5')).body.events.map((e: EventJson) => e.position)).toEqual([7]);
  });

  it.each(['last=0', 'last=1001', 'last=abc', 'last=1&limit=1', 'limit=0', 'limit=1001', 'limit=abc', 'after=-1', 'after=1.5', 'limit=1&limit=2', `stream=${'s'.repeat(201)}`])(
    'refuses ?%s with 400',
    async (query) => {
      expectProblem(await gh.api('GET', `/api/events?${query}`), 400, 'INVALID_QUERY');
    },
  );

  describe('/stream (SSE)', () => {
    const clients: SseClient[] = [];
    const open = async (query = '', headers: Record<string, string> = {}): Promise<SseClient> => {
      const client = await openSse(`${gh.url}/api/events/stream${query}`, { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...headers });
      clients.push(client);
      return client;
    };
    afterEach(() => {
      for (const client of clients.splice(0)) client.close();
    });

    it('delivers an event committed after connecting, live', async () => {
      const client = await open();
      const created = await gh.api('POST', '/api/profiles', { slug: 'live' }, { 'X-Correlation-Id': 'sse-live-1' });
      expect(created.status).toBe(201);
      const message = await client.next((m) => m.event === 'ProfileCreated');
      const event = JSON.parse(message.data) as EventJson;
      expect(message.id).toBe(String(event.position));
      expect(event).toMatchObject({ streamId: `profile-${created.body.id}`, type: 'ProfileCreated', data: { slug: 'live' }, metadata: { correlationId: 'sse-live-1' } });
      expect(event.position).toBe(headPosition(gh));
    });

    it('applies the type and stream filters to the live stream', async () => {
      const client = await open('?type=ServerRegistered');
      await gh.api('POST', '/api/profiles', { slug: 'ignored' });
      await gh.api('POST', '/api/servers', { name: 'beta', transport: 'stdio', command: 'node' });
      const message = await client.next();
      expect(message.event).toBe('ServerRegistered');
      expect(JSON.parse(message.data).data.name).toBe('beta');

      const streamClient = await open(`?stream=profile-${profileId}`);
      await gh.api('PATCH', '/api/profiles/ops', { name: 'Ops' });
      await gh.api('PATCH', '/api/profiles/dev', { name: 'Dev again' });
      const devOnly = await streamClient.next();
      expect(JSON.parse(devOnly.data)).toMatchObject({ streamId: `profile-${profileId}`, data: { changes: { name: 'Dev again' } } });
    });

    it('replays what was missed after Last-Event-ID (or ?after=) first, then continues live', async () => {
      const head = headPosition(gh);
      const replay = await open('', { 'Last-Event-ID': String(head - 2) });
      expect((await replay.next()).id).toBe(String(head - 1));
      expect((await replay.next()).id).toBe(String(head));
      await gh.api('PATCH', '/api/settings', { logRetentionDays: 4 });
      expect((await replay.next()).id).toBe(String(head + 1));

      const byQuery = await open(`?after=${head}`);
      expect((await byQuery.next()).event).toBe('SettingsChanged');
    });

    it('needs the admin token', async () => {
      const response = await fetch(`${gh.url}/api/events/stream`);
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      await response.body?.cancel();
    });
  });

  it('every event ever recorded here carries actor, correlation id and time', async () => {
    const events = await allEvents(gh);
    expect(events.length).toBeGreaterThan(10);
    for (const event of events) {
      expect(event.metadata).toEqual({ actor: 'admin', correlationId: expect.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), causationId: null, recordedAt: expect.any(String) });
      expect(Number.isNaN(Date.parse(event.metadata.recordedAt))).toBe(false);
    }
  });
});

describe('health and auth', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startTestGatehouse();
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('/healthz and /readyz answer without a token', async () => {
    const health = await fetch(`${gh.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${gh.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect(gh.sql.all('SELECT * FROM projection_checkpoints')).toEqual([]);
  });

  it.each(['/api/servers', '/api/profiles', '/api/keys', '/api/settings', '/api/events'])('%s needs the admin token (401)', async (path) => {
    const missing = await gh.api('GET', path, undefined, { authorization: '' });
    expectProblem(missing, 401, 'UNAUTHENTICATED');
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expectProblem(await gh.api('GET', path, undefined, { authorization: 'Bearer wrong-token-0123456789' }), 401, 'INVALID_TOKEN');
    expectProblem(await gh.api('GET', path, undefined, { authorization: `Basic ${TEST_ADMIN_TOKEN}` }), 401, 'UNAUTHENTICATED');
  });
});
