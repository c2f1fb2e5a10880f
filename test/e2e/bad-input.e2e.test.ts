import { request } from 'node:http';
import { eventCount } from '../support/events';
import { startTestGatehouse, TEST_ADMIN_TOKEN, type ApiResponse, type TestGatehouse } from '../support/gatehouse';
import { expectProblem } from '../support/problem';

/** Always six values (code may be undefined): jest takes a missing last argument for a `done` callback. */
type Case = [label: string, method: string, path: string, body: unknown, status: number, code: string | undefined];

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const MIB = 1024 * 1024;
const long = (length: number): string => 'x'.repeat(length);
const deep = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

/** Every route that takes a body, with a body it would accept. */
const BODY_ROUTES: [string, string, Record<string, unknown>][] = [
  ['POST', '/api/servers', { name: 'fresh', transport: 'stdio', command: 'node' }],
  ['PATCH', '/api/servers/alpha', { description: 'd' }],
  ['POST', '/api/servers/alpha/revert', { to: 1 }],
  ['POST', '/api/profiles', { slug: 'fresh' }],
  ['PATCH', '/api/profiles/dev', { name: 'Dev' }],
  ['PUT', '/api/profiles/dev/servers/alpha', { status: 'inactive' }],
  ['PATCH', '/api/profiles/dev/tools/alpha/echo', { title: 'Echo' }],
  ['POST', '/api/profiles/dev/revert', { to: 1 }],
  ['POST', '/api/keys', { name: 'k', profiles: ['dev'] }],
  ['PATCH', '/api/settings', { logRetentionDays: 3 }],
];

/** The same malformed bodies, sent to every body route. */
const genericCases = (): Case[] =>
  BODY_ROUTES.flatMap(([method, path, valid]): Case[] => [
    [`${method} ${path}: unknown field`, method, path, { ...valid, bogus: 1 }, 400, 'VALIDATION_FAILED'],
    [`${method} ${path}: body over 1 MiB`, method, path, { ...valid, padding: long(MIB + 10) }, 413, 'PAYLOAD_TOO_LARGE'],
    [`${method} ${path}: invalid JSON`, method, path, '{"name": ', 400, 'INVALID_JSON'],
    [`${method} ${path}: JSON null`, method, path, 'null', 400, undefined],
    [`${method} ${path}: JSON array`, method, path, '[]', 400, 'VALIDATION_FAILED'],
    [`${method} ${path}: JSON string`, method, path, '"text"', 400, undefined],
    [`${method} ${path}: nested 20,000 levels deep`, method, path, `{"bogus": ${deep(20_000)}}`, 400, 'VALIDATION_FAILED'],
  ]);

const specificCases: Case[] = [
  ['server name of the wrong type', 'POST', '/api/servers', { name: 123, transport: 'stdio', command: 'node' }, 400, 'VALIDATION_FAILED'],
  ['server name too long', 'POST', '/api/servers', { name: long(65), transport: 'stdio', command: 'node' }, 400, 'VALIDATION_FAILED'],
  ['server name with a space', 'POST', '/api/servers', { name: 'bad name', transport: 'stdio', command: 'node' }, 400, 'INVALID_NAME'],
  ['server name with __', 'POST', '/api/servers', { name: 'a__b', transport: 'stdio', command: 'node' }, 400, 'INVALID_NAME'],
  ['server without a name', 'POST', '/api/servers', { transport: 'stdio', command: 'node' }, 400, 'VALIDATION_FAILED'],
  ['unknown transport', 'POST', '/api/servers', { name: 'n', transport: 'pigeon', command: 'node' }, 400, 'VALIDATION_FAILED'],
  ['stdio server with a url', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: 'node', url: 'http://127.0.0.1/' }, 400, 'INVALID_SERVER_CONFIG'],
  ['http server without a url', 'POST', '/api/servers', { name: 'n', transport: 'sse' }, 400, 'INVALID_SERVER_CONFIG'],
  ['file: url', 'POST', '/api/servers', { name: 'n', transport: 'sse', url: 'file:///etc/passwd' }, 400, 'VALIDATION_FAILED'],
  ['javascript: url', 'POST', '/api/servers', { name: 'n', transport: 'sse', url: 'javascript:alert(1)' }, 400, 'VALIDATION_FAILED'],
  ['command too long', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: long(4097) }, 400, 'VALIDATION_FAILED'],
  ['args not an array', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: 'node', args: 'a.js' }, 400, 'VALIDATION_FAILED'],
  ['args of numbers', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: 'node', args: [1] }, 400, 'VALIDATION_FAILED'],
  ['too many args', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: 'node', args: Array(257).fill('a') }, 400, 'VALIDATION_FAILED'],
  ['env with a number', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: 'node', env: { A: 1 } }, 400, 'VALIDATION_FAILED'],
  ['env as an array', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: 'node', env: ['A=1'] }, 400, 'VALIDATION_FAILED'],
  ['env value too long', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: 'node', env: { A: long(8193) } }, 400, 'VALIDATION_FAILED'],
  ['env name with =', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: 'node', env: { 'A=B': 'x' } }, 400, 'INVALID_SERVER_CONFIG'],
  ['header name with a space', 'POST', '/api/servers', { name: 'n', transport: 'sse', url: 'http://127.0.0.1/', headers: { 'X Bad': 'v' } }, 400, 'INVALID_SERVER_CONFIG'],
  ['bearer token of the wrong type', 'POST', '/api/servers', { name: 'n', transport: 'sse', url: 'http://127.0.0.1/', bearerToken: 5 }, 400, 'VALIDATION_FAILED'],
  ['bearer token too long', 'POST', '/api/servers', { name: 'n', transport: 'sse', url: 'http://127.0.0.1/', bearerToken: long(8193) }, 400, 'VALIDATION_FAILED'],
  ['timeout 0', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: 'node', timeoutMs: 0 }, 400, 'VALIDATION_FAILED'],
  ['timeout too long', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: 'node', timeoutMs: 600_001 }, 400, 'VALIDATION_FAILED'],
  ['timeout as a string', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: 'node', timeoutMs: '1000' }, 400, 'VALIDATION_FAILED'],
  ['description too long', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: 'node', description: long(2001) }, 400, 'VALIDATION_FAILED'],
  ['rename to a bad name', 'PATCH', '/api/servers/alpha', { name: 'bad name' }, 400, 'INVALID_NAME'],
  ['rename to null', 'PATCH', '/api/servers/alpha', { name: null }, 400, 'VALIDATION_FAILED'],
  ['args null', 'PATCH', '/api/servers/alpha', { args: null }, 400, 'VALIDATION_FAILED'],
  ['env null', 'PATCH', '/api/servers/alpha', { env: null }, 400, 'VALIDATION_FAILED'],
  ['transport null', 'PATCH', '/api/servers/alpha', { transport: null }, 400, 'VALIDATION_FAILED'],
  ['switch to sse without a url', 'PATCH', '/api/servers/alpha', { transport: 'sse' }, 400, 'INVALID_SERVER_CONFIG'],
  ['rename to a taken name', 'PATCH', '/api/servers/alpha', { name: 'beta' }, 409, 'SERVER_NAME_TAKEN'],
  ['duplicate server name', 'POST', '/api/servers', { name: 'alpha', transport: 'stdio', command: 'node' }, 409, 'SERVER_NAME_TAKEN'],
  ['revert to a negative position', 'POST', '/api/servers/alpha/revert', { to: -1 }, 400, 'VALIDATION_FAILED'],
  ['revert to a fraction', 'POST', '/api/servers/alpha/revert', { to: 1.5 }, 400, 'VALIDATION_FAILED'],
  ['revert to a string', 'POST', '/api/servers/alpha/revert', { to: '1' }, 400, 'VALIDATION_FAILED'],
  ['revert without a target', 'POST', '/api/profiles/dev/revert', {}, 400, 'VALIDATION_FAILED'],

  ['a "constructor" field', 'POST', '/api/profiles', { slug: 'p', constructor: { prototype: { polluted: true } } }, 400, 'VALIDATION_FAILED'],
  ['a "__proto__" field', 'POST', '/api/profiles', '{"slug": "p", "__proto__": {"polluted": true}}', 400, undefined],
  ['an env variable named "constructor"', 'POST', '/api/servers', { name: 'n', transport: 'stdio', command: 'node', env: { constructor: 'x' } }, 400, 'VALIDATION_FAILED'],
  ['slug with capitals', 'POST', '/api/profiles', { slug: 'Dev' }, 400, 'INVALID_SLUG'],
  ['slug too long', 'POST', '/api/profiles', { slug: long(64) }, 400, 'VALIDATION_FAILED'],
  ['slug of the wrong type', 'POST', '/api/profiles', { slug: 7 }, 400, 'VALIDATION_FAILED'],
  ['slug taken', 'POST', '/api/profiles', { slug: 'dev' }, 409, 'PROFILE_SLUG_TAKEN'],
  ['profile name too long', 'POST', '/api/profiles', { slug: 'p', name: long(129) }, 400, 'VALIDATION_FAILED'],
  ['blank profile name', 'POST', '/api/profiles', { slug: 'p', name: '   ' }, 400, 'INVALID_ARGUMENT'],
  ['unknown tool prefix mode', 'POST', '/api/profiles', { slug: 'p', toolPrefix: 'sometimes' }, 400, 'VALIDATION_FAILED'],
  ['unknown auth field', 'POST', '/api/profiles', { slug: 'p', auth: { apiKey: true, magic: true } }, 400, 'VALIDATION_FAILED'],
  ['auth of the wrong type', 'POST', '/api/profiles', { slug: 'p', auth: { apiKey: 'no' } }, 400, 'VALIDATION_FAILED'],
  ['auth.apiKey null (must not open the profile)', 'POST', '/api/profiles', { slug: 'p', auth: { apiKey: null } }, 400, 'VALIDATION_FAILED'],
  ['patch auth.apiKey null', 'PATCH', '/api/profiles/dev', { auth: { apiKey: null } }, 400, 'VALIDATION_FAILED'],
  ['patch auth null', 'PATCH', '/api/profiles/dev', { auth: null }, 400, 'VALIDATION_FAILED'],
  ['patch slug null', 'PATCH', '/api/profiles/dev', { slug: null }, 400, 'VALIDATION_FAILED'],
  ['patch name null', 'PATCH', '/api/profiles/dev', { name: null }, 400, 'VALIDATION_FAILED'],
  ['patch debugLogging null', 'PATCH', '/api/profiles/dev', { debugLogging: null }, 400, 'VALIDATION_FAILED'],
  ['patch debugLogging as a string', 'PATCH', '/api/profiles/dev', { debugLogging: 'true' }, 400, 'VALIDATION_FAILED'],
  ['rename to a taken slug', 'PATCH', '/api/profiles/dev', { slug: 'ops' }, 409, 'PROFILE_SLUG_TAKEN'],
  ['description too long', 'PATCH', '/api/profiles/dev', { description: long(2001) }, 400, 'VALIDATION_FAILED'],
  ['unknown link status', 'PUT', '/api/profiles/dev/servers/alpha', { status: 'paused' }, 400, 'VALIDATION_FAILED'],
  ['link status null', 'PUT', '/api/profiles/dev/servers/alpha', { status: null }, 400, 'VALIDATION_FAILED'],
  ['tool status unknown', 'PATCH', '/api/profiles/dev/tools/alpha/echo', { status: 'off' }, 400, 'VALIDATION_FAILED'],
  ['tool status null', 'PATCH', '/api/profiles/dev/tools/alpha/echo', { status: null }, 400, 'VALIDATION_FAILED'],
  ['tool override name with a space', 'PATCH', '/api/profiles/dev/tools/alpha/echo', { name: 'say it' }, 400, 'INVALID_NAME'],
  ['tool override name too long', 'PATCH', '/api/profiles/dev/tools/alpha/echo', { name: long(65) }, 400, 'VALIDATION_FAILED'],
  ['tool title too long', 'PATCH', '/api/profiles/dev/tools/alpha/echo', { title: long(257) }, 400, 'VALIDATION_FAILED'],
  ['tool description too long', 'PATCH', '/api/profiles/dev/tools/alpha/echo', { description: long(10_001) }, 400, 'VALIDATION_FAILED'],
  ['annotations as an array', 'PATCH', '/api/profiles/dev/tools/alpha/echo', { annotations: [1] }, 400, 'VALIDATION_FAILED'],
  ['annotations too big', 'PATCH', '/api/profiles/dev/tools/alpha/echo', { annotations: { a: long(17_000) } }, 400, 'VALIDATION_FAILED'],
  ['tool name in the path too long', 'PATCH', `/api/profiles/dev/tools/alpha/${long(257)}`, { title: 't' }, 400, 'INVALID_TOOL_NAME'],
  ['override name already used', 'PATCH', '/api/profiles/dev/tools/alpha/other', { name: 'taken' }, 409, 'TOOL_NAME_TAKEN'],

  ['key without profiles', 'POST', '/api/keys', { name: 'k', profiles: [] }, 400, 'VALIDATION_FAILED'],
  ['key profiles as a string', 'POST', '/api/keys', { name: 'k', profiles: 'dev' }, 400, 'VALIDATION_FAILED'],
  ['key name too long', 'POST', '/api/keys', { name: long(129), profiles: ['dev'] }, 400, 'VALIDATION_FAILED'],
  ['key expiry not a date', 'POST', '/api/keys', { name: 'k', profiles: ['dev'], expiresAt: 'tomorrow' }, 400, 'VALIDATION_FAILED'],
  ['key expiry without an offset', 'POST', '/api/keys', { name: 'k', profiles: ['dev'], expiresAt: '2999-01-01T00:00:00' }, 400, 'INVALID_ARGUMENT'],
  ['key expiry as a week date', 'POST', '/api/keys', { name: 'k', profiles: ['dev'], expiresAt: '2999-W01-1' }, 400, 'INVALID_ARGUMENT'],
  ['key expiry as an ordinal date', 'POST', '/api/keys', { name: 'k', profiles: ['dev'], expiresAt: '2999-001' }, 400, 'INVALID_ARGUMENT'],
  ['key expiry with an hour only', 'POST', '/api/keys', { name: 'k', profiles: ['dev'], expiresAt: '2999-01-01T00Z' }, 400, 'INVALID_ARGUMENT'],
  ['key for a repeated profile', 'POST', '/api/keys', { name: 'k', profiles: ['dev', 'dev'] }, 400, 'INVALID_ARGUMENT'],

  ['setting of the wrong type', 'PATCH', '/api/settings', { requestTimeoutMs: '5000' }, 400, 'VALIDATION_FAILED'],
  ['setting as a fraction', 'PATCH', '/api/settings', { requestTimeoutMs: 5000.5 }, 400, 'VALIDATION_FAILED'],
  ['setting null', 'PATCH', '/api/settings', { requestTimeoutMs: null }, 400, 'VALIDATION_FAILED'],
  ['allowed hosts null', 'PATCH', '/api/settings', { upstreamAllowedHosts: null }, 400, 'VALIDATION_FAILED'],
  ['allowed host too long', 'PATCH', '/api/settings', { upstreamAllowedHosts: [long(254)] }, 400, 'VALIDATION_FAILED'],
  ['unknown setting', 'PATCH', '/api/settings', { colour: 'blue' }, 400, 'VALIDATION_FAILED'],
];

/** Strings that pass the type checks but cannot be spawned, sent or stored as they are: the answer names the field. */
type FieldCase = [label: string, method: string, path: string, body: unknown, code: string, field: string];
const stdio = (extra: Record<string, unknown>): Record<string, unknown> => ({ name: 'n', transport: 'stdio', command: 'node', ...extra });
const http = (extra: Record<string, unknown>): Record<string, unknown> => ({ name: 'n', transport: 'streamable_http', url: 'http://127.0.0.1/', ...extra });
const fieldCases: FieldCase[] = [
  ['a NUL in the command', 'POST', '/api/servers', stdio({ command: 'node\u0000--x' }), 'INVALID_SERVER_CONFIG', 'command'],
  ['a line break in an argument', 'POST', '/api/servers', stdio({ args: ['a.js', 'b\nc'] }), 'INVALID_SERVER_CONFIG', 'args[1]'],
  ['an escape character in cwd', 'POST', '/api/servers', stdio({ cwd: '/tmp/\u001b[2J' }), 'INVALID_SERVER_CONFIG', 'cwd'],
  ['a control character in an env name', 'POST', '/api/servers', stdio({ env: { 'A\u0001': 'x' } }), 'INVALID_SERVER_CONFIG', 'env.A\u0001'],
  ['a NUL in an env value', 'POST', '/api/servers', stdio({ env: { A: 'x\u0000y' } }), 'INVALID_SERVER_CONFIG', 'env.A'],
  ['CRLF in a header value', 'POST', '/api/servers', http({ headers: { 'X-A': 'v\r\nX-Evil: 1' } }), 'INVALID_SERVER_CONFIG', 'headers.X-A'],
  ['a line break in a bearer token', 'POST', '/api/servers', http({ bearerToken: 'abc\ndef' }), 'INVALID_SERVER_CONFIG', 'bearerToken'],
  ['a NUL in a patched command', 'PATCH', '/api/servers/alpha', { command: 'node\u0000' }, 'INVALID_SERVER_CONFIG', 'command'],
  ['a lone surrogate in a server description', 'POST', '/api/servers', stdio({ description: 'x\ud800' }), 'VALIDATION_FAILED', 'description'],
  ['a lone surrogate in a profile name', 'POST', '/api/profiles', { slug: 'p', name: '\ud800' }, 'VALIDATION_FAILED', 'name'],
  ['a lone low surrogate in an env value', 'POST', '/api/servers', stdio({ env: { A: '\udc00' } }), 'VALIDATION_FAILED', 'env.A'],
  ['a control character in a profile name', 'POST', '/api/profiles', { slug: 'p', name: 'a\u0007b' }, 'INVALID_ARGUMENT', 'name'],
  ['a control character in a profile description', 'PATCH', '/api/profiles/dev', { description: 'a\u0000b' }, 'INVALID_ARGUMENT', 'description'],
  ['a line break in a tool title', 'PATCH', '/api/profiles/dev/tools/alpha/echo', { title: 'a\nb' }, 'INVALID_ARGUMENT', 'title'],
  ['a lone surrogate in a tool description', 'PATCH', '/api/profiles/dev/tools/alpha/echo', { description: '\udfff' }, 'VALIDATION_FAILED', 'description'],
  ['a control character in a key name', 'POST', '/api/keys', { name: 'k\u0000', profiles: ['dev'] }, 'INVALID_ARGUMENT', 'name'],
];

const notFoundCases: Case[] = [
  ['unknown server by name', 'GET', '/api/servers/nope', undefined, 404, 'SERVER_NOT_FOUND'],
  ['unknown server by id', 'GET', `/api/servers/${UNKNOWN_ID}`, undefined, 404, 'SERVER_NOT_FOUND'],
  ['server ?at= of an unknown server', 'GET', '/api/servers/nope?at=1', undefined, 404, 'SERVER_NOT_FOUND'],
  ['patch an unknown server', 'PATCH', '/api/servers/nope', { description: 'd' }, 404, 'SERVER_NOT_FOUND'],
  ['delete an unknown server', 'DELETE', `/api/servers/${UNKNOWN_ID}`, undefined, 404, 'SERVER_NOT_FOUND'],
  ['tools of an unknown server', 'GET', '/api/servers/nope/tools', undefined, 404, 'SERVER_NOT_FOUND'],
  ['history of an unknown server', 'GET', '/api/servers/nope/history', undefined, 404, 'SERVER_NOT_FOUND'],
  ['revert an unknown server', 'POST', '/api/servers/nope/revert', { to: 1 }, 404, 'SERVER_NOT_FOUND'],
  ['a malformed percent-escape', 'GET', '/api/servers/%E0%A4%A', undefined, 404, 'SERVER_NOT_FOUND'],
  ['unknown profile', 'GET', '/api/profiles/nope', undefined, 404, 'PROFILE_NOT_FOUND'],
  ['profile slugs are lower-case', 'GET', '/api/profiles/DEV', undefined, 404, 'PROFILE_NOT_FOUND'],
  ['patch an unknown profile', 'PATCH', '/api/profiles/nope', { name: 'n' }, 404, 'PROFILE_NOT_FOUND'],
  ['delete an unknown profile', 'DELETE', '/api/profiles/nope', undefined, 404, 'PROFILE_NOT_FOUND'],
  ['attach to an unknown profile', 'PUT', '/api/profiles/nope/servers/alpha', undefined, 404, 'PROFILE_NOT_FOUND'],
  ['attach an unknown server', 'PUT', '/api/profiles/dev/servers/nope', undefined, 404, 'SERVER_NOT_FOUND'],
  ['detach an unknown server', 'DELETE', '/api/profiles/dev/servers/nope', undefined, 404, 'SERVER_NOT_FOUND'],
  ['detach a server that is not attached', 'DELETE', '/api/profiles/dev/servers/beta', undefined, 404, 'SERVER_NOT_ATTACHED'],
  ['tools of an unknown profile', 'GET', '/api/profiles/nope/tools', undefined, 404, 'PROFILE_NOT_FOUND'],
  ['patch a tool of an unknown server', 'PATCH', '/api/profiles/dev/tools/nope/echo', { title: 't' }, 404, 'SERVER_NOT_FOUND'],
  ['patch a tool of an unknown profile', 'PATCH', '/api/profiles/nope/tools/alpha/echo', { title: 't' }, 404, 'PROFILE_NOT_FOUND'],
  ['history of an unknown profile', 'GET', '/api/profiles/nope/history', undefined, 404, 'PROFILE_NOT_FOUND'],
  ['unknown profile at a position', 'GET', '/api/profiles/nope?at=3', undefined, 404, 'PROFILE_NOT_FOUND'],
  ['revert an unknown profile', 'POST', '/api/profiles/nope/revert', { to: 1 }, 404, 'PROFILE_NOT_FOUND'],
  ['unknown key', 'GET', `/api/keys/${UNKNOWN_ID}`, undefined, 404, 'APIKEY_NOT_FOUND'],
  ['revoke an unknown key', 'DELETE', '/api/keys/nope', undefined, 404, 'APIKEY_NOT_FOUND'],
  ['key for an unknown profile', 'POST', '/api/keys', { name: 'k', profiles: ['nope'] }, 404, 'PROFILE_NOT_FOUND'],
  ['an unknown route', 'GET', '/api/nothing', undefined, 404, 'ROUTE_NOT_FOUND'],
  ['an unknown top-level route', 'GET', '/nothing', undefined, 404, 'ROUTE_NOT_FOUND'],
];

const queryCases: Case[] = [
  ['?at= garbage on a server', 'GET', '/api/servers/alpha?at=yesterday', undefined, 400, 'INVALID_AT'],
  ['?at= an impossible date', 'GET', '/api/profiles/dev?at=2024-13-45', undefined, 400, 'INVALID_AT'],
  ['?at= negative', 'GET', '/api/profiles/dev?at=-1', undefined, 400, 'INVALID_AT'],
  ['?at= repeated', 'GET', '/api/profiles/dev?at=1&at=2', undefined, 400, 'INVALID_AT'],
  ['?at= too long', 'GET', `/api/profiles/dev?at=2024-01-01T${long(80)}`, undefined, 400, 'INVALID_AT'],
  ['?limit=0', 'GET', '/api/events?limit=0', undefined, 400, 'INVALID_QUERY'],
  ['?after=x', 'GET', '/api/events?after=x', undefined, 400, 'INVALID_QUERY'],
  ['?limit= huge', 'GET', '/api/events?limit=99999999999999999999', undefined, 400, 'INVALID_QUERY'],
  ['?type= too long', 'GET', `/api/events?type=${long(1001)}`, undefined, 400, 'INVALID_QUERY'],
  ['?type= of no event', 'GET', '/api/events?type=ServerRegistered,Bogus', undefined, 400, 'INVALID_QUERY'],
];

describe('bad input on every route', () => {
  let gh: TestGatehouse;
  let count: number;
  beforeAll(async () => {
    gh = await startTestGatehouse();
    await gh.api('POST', '/api/servers', { name: 'alpha', transport: 'stdio', command: 'node' });
    await gh.api('POST', '/api/servers', { name: 'beta', transport: 'stdio', command: 'node' });
    await gh.api('POST', '/api/profiles', { slug: 'dev' });
    await gh.api('POST', '/api/profiles', { slug: 'ops' });
    await gh.api('PUT', '/api/profiles/dev/servers/alpha');
    await gh.api('PATCH', '/api/profiles/dev/tools/alpha/echo', { name: 'taken' });
    count = eventCount(gh);
  });
  afterAll(async () => {
    const final = eventCount(gh);
    await gh.stop();
    expect(final).toBe(count);
  });

  /** Nothing appended by this request (the whole suite's count is checked once more at the end). */
  const expectRefused = async (send: () => Promise<ApiResponse>, status: number, code?: string): Promise<void> => {
    const before = eventCount(gh);
    expectProblem(await send(), status, code);
    expect(eventCount(gh)).toBe(before);
  };

  it.each([...genericCases(), ...specificCases, ...notFoundCases, ...queryCases])('%s → %s %s', async (_, method, path, body, status, code) => {
    await expectRefused(() => gh.api(method, path, body), status, code);
  });

  it.each(fieldCases)('%s → 400 %s naming the field', async (_, method, path, body, code, field) => {
    const before = eventCount(gh);
    const problem = expectProblem(await gh.api(method, path, body), 400, code) as { detail: string; errors?: { field: string }[] };
    expect(problem.errors).toEqual([expect.objectContaining({ field })]);
    expect(problem.detail).toContain(field);
    expect(eventCount(gh)).toBe(before);
  });

  it.each(BODY_ROUTES)('%s %s: a body that is not JSON is a 415', async (method, path, valid) => {
    const before = eventCount(gh);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      await expectRefused(() => gh.api(method, path, JSON.stringify(valid), { 'content-type': type }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    const untyped = await fetch(`${gh.url}${path}`, { method, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, body: new Blob([JSON.stringify(valid)]) });
    expect(untyped.status).toBe(415);
    expect(untyped.headers.get('content-type')).toContain('application/problem+json');
    expect(eventCount(gh)).toBe(before);
  });

  it('refuses a chunked body over 1 MiB (no Content-Length) with 413', async () => {
    const before = eventCount(gh);
    const response = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = request(`${gh.url}/api/profiles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      });
      req.on('error', reject);
      req.write('{"slug": "big", "description": "');
      for (let i = 0; i < 20; i += 1) req.write(long(64 * 1024));
      req.end('"}');
    });
    expect(response.status).toBe(413);
    expect(response.type).toContain('application/problem+json');
    expect(JSON.parse(response.body).code).toBe('PAYLOAD_TOO_LARGE');
    expect(eventCount(gh)).toBe(before);
  });

  it('parses a body of just under 1 MiB (and then refuses its unknown field)', async () => {
    await expectRefused(() => gh.api('PATCH', '/api/profiles/dev', { name: 'Dev', bogus: long(MIB - 100) }), 400, 'VALIDATION_FAILED');
  });
});
