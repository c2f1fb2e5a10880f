import fc from 'fast-check';
import { eventCount } from '../support/events';
import { startTestGatehouse, type ApiResponse, type TestGatehouse } from '../support/gatehouse';

/**
 * Property-based fuzzing of every REST body (the class-validator DTOs and the import document)
 * and of the query parameters: whatever arrives, the answer is never a 5xx, a refusal is a
 * problem document, a refusal appends nothing, and the process stays up.
 */

const RUNS_PER_ROUTE = 80;

/** Values a JSON body can hold, biased towards what breaks validators: wrong types, edge strings, nesting. */
const edgeString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '__proto__', 'constructor', '*', '..', '../../etc/passwd', 'a__b', '\u0000', '\u202e', '😀', 'null', '1e309', 'http://127.0.0.1:9/', 'file:///etc/passwd', '2999-01-01T00:00:00Z', 'stdio', 'sse', 'streamable_http', 'active', 'inactive', 'never', 'always', 'on_conflict'),
  fc.string({ minLength: 60, maxLength: 300 }),
);
const scalar = fc.oneof(edgeString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom(0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER));
const value = fc.letrec((tie) => ({
  any: fc.oneof({ maxDepth: 4, depthIdentifier: 'value' }, scalar, scalar, fc.array(tie('any'), { maxLength: 4 }), fc.dictionary(edgeString, tie('any'), { maxKeys: 4 })),
})).any;

/** An object with (some of) the DTO's fields, plus now and then one it does not have. */
const shaped = (fields: readonly string[]) =>
  fc.dictionary(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...fields) }, { weight: 1, arbitrary: edgeString }), value, { maxKeys: fields.length + 1 });

const SERVER_FIELDS = ['name', 'description', 'transport', 'command', 'args', 'env', 'cwd', 'url', 'headers', 'bearerToken', 'timeoutMs'];
const PROFILE_FIELDS = ['slug', 'name', 'description', 'toolPrefix', 'auth', 'debugLogging'];

/** Every route that takes a body, with the fields of its DTO. */
const BODY_ROUTES: [method: string, path: string, fields: readonly string[]][] = [
  ['POST', '/api/servers', SERVER_FIELDS],
  ['PATCH', '/api/servers/alpha', SERVER_FIELDS],
  ['POST', '/api/servers/alpha/revert', ['to']],
  ['POST', '/api/profiles', PROFILE_FIELDS],
  ['PATCH', '/api/profiles/dev', PROFILE_FIELDS],
  ['PUT', '/api/profiles/dev/servers/alpha', ['status']],
  ['PATCH', '/api/profiles/dev/tools/alpha/echo', ['status', 'name', 'title', 'description', 'annotations']],
  ['POST', '/api/profiles/dev/revert', ['to']],
  ['POST', '/api/keys', ['name', 'profiles', 'expiresAt']],
  ['PATCH', '/api/settings', ['requestTimeoutMs', 'connectTimeoutMs', 'sessionIdleTimeoutMs', 'logRetentionDays', 'logMaxRows', 'logPayloadMaxBytes', 'maxProcessesPerServer', 'upstreamAllowedHosts']],
  ['POST', '/api/import', ['mcpServers', 'gatehouse']],
];

/** A body as the client sends it: a shaped object, any JSON, or text that is not JSON at all. */
const bodyFor = (fields: readonly string[]) =>
  fc.oneof(
    { weight: 6, arbitrary: shaped(fields).map((body) => JSON.stringify(body)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((body) => JSON.stringify(body)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 300_000 }).map((depth) => `{"${fields[0]}":${'['.repeat(depth)}${']'.repeat(depth)}}`) },
  );

describe('fuzzing the REST API', () => {
  let gh: TestGatehouse;
  const seen = new Map<number, number>();

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await gh.api('POST', '/api/servers', { name: 'alpha', transport: 'stdio', command: 'node' });
    await gh.api('POST', '/api/profiles', { slug: 'dev' });
  });
  afterAll(async () => {
    await gh.stop();
  });

  /** The invariants of every answer; returns whether the request was refused. */
  const checkAnswer = (response: ApiResponse, before: number): void => {
    seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
    expect(response.status).toBeLessThan(500);
    if (response.status >= 400) {
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body).toEqual(expect.objectContaining({ status: response.status, code: expect.any(String), detail: expect.any(String) }));
      expect(eventCount(gh)).toBe(before);
    }
  };

  it.each(BODY_ROUTES)('%s %s: no 5xx, refusals are problems and append nothing', async (method, path, fields) => {
    await fc.assert(
      fc.asyncProperty(bodyFor(fields), async (body) => {
        const before = eventCount(gh);
        checkAnswer(await gh.api(method, path, body, { 'content-type': 'application/json' }), before);
      }),
      { numRuns: RUNS_PER_ROUTE },
    );
  });

  it('query parameters of the reads: no 5xx', async () => {
    const paths = fc.constantFrom('/api/events', '/api/servers', '/api/servers/alpha', '/api/profiles/dev', '/api/profiles/dev/history', '/api/export', '/api/keys', '/api/servers/alpha/tools');
    const names = fc.constantFrom('at', 'after', 'limit', 'stream', 'type', 'format', 'include', 'profile', '__proto__');
    const query = fc.array(fc.tuple(names, fc.oneof(edgeString, fc.integer().map(String))), { maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(paths, query, async (path, params) => {
        const search = new URLSearchParams(params).toString();
        const before = eventCount(gh);
        checkAnswer(await gh.api('GET', `${path}${search === '' ? '' : `?${search}`}`), before);
      }),
      { numRuns: RUNS_PER_ROUTE },
    );
  });

  it('leaves the process serving, and the fuzz reached both answers', async () => {
    expect((await fetch(`${gh.url}/healthz`)).status).toBe(200);
    expect((await gh.api('GET', '/api/servers')).status).toBe(200);
    expect([...seen.keys()].some((status) => status >= 400)).toBe(true);
    expect([...seen.keys()].some((status) => status < 300)).toBe(true);
  });
});
