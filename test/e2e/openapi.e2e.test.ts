import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { EVERYTHING_SERVER, FIXTURES } from '../support/mcp-client';
import { expectProblem } from '../support/problem';
import { createProfile, issueKey, registerStdioServer } from '../support/proxy';
import { join } from 'node:path';

type Operation = { operationId: string; requestBody: { content: { 'application/json': { schema: Record<string, unknown> } } }; responses: Record<string, unknown> };
type Document = { openapi: string; servers: { url: string }[]; paths: Record<string, { post: Operation }>; components: Record<string, unknown> };

const VALIDATOR_SCRIPT = `
  import { Validator } from '@seriousme/openapi-schema-validator';
  let text = ''; for await (const chunk of process.stdin) text += chunk;
  const result = await new Validator().validate(JSON.parse(text));
  process.stdout.write(JSON.stringify(result));`;

/**
 * The document checked by a well-kept validator (an ES module, so in a process of its own). Not
 * spawnSync: the gateway runs in this process, and blocking it for seconds lets its keep-alive
 * timeout and the client's reuse of that socket race (CI: ECONNRESET on the next fetch).
 */
const validateWithPackage = (document: unknown): Promise<{ valid: boolean; errors?: unknown }> =>
  new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['--input-type=module', '-e', VALIDATOR_SCRIPT], { encoding: 'utf8', timeout: 20_000, cwd: join(__dirname, '..', '..') }, (error, stdout, stderr) => {
      if (error) reject(new Error(`validator failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as { valid: boolean; errors?: unknown });
    });
    child.stdin?.end(JSON.stringify(document));
  });

/** A fetch answer checked as a problem (the REST helper takes a parsed answer). */
const expectHttpProblem = async (pending: Promise<Response>, status: number, code?: string) => {
  const response = await pending;
  const text = await response.text();
  return expectProblem({ status: response.status, headers: response.headers, body: JSON.parse(text) } as Parameters<typeof expectProblem>[0], status, code);
};

const UNCOMPILABLE = 'openapi: a tool\'s input schema does not compile; its calls go to the upstream unchecked';

describe('every profile as an OpenAPI service', () => {
  let gh: TestGatehouse;
  let key: string;
  let otherKey: string;
  let lenientKey: string;
  const logLines: string[] = [];

  const call = (path: string, body: unknown, options: { key?: string; raw?: string } = {}) =>
    fetch(`${gh.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(options.key === undefined ? { authorization: `Bearer ${key}` } : options.key === '' ? {} : { authorization: `Bearer ${options.key}` }) },
      body: options.raw ?? JSON.stringify(body),
    });
  const loggedCalls = async (): Promise<number> => {
    await gh.observability.flush();
    return ((await gh.api('GET', '/api/logs?method=tools/call&limit=100')).body.logs as unknown[]).length;
  };

  beforeAll(async () => {
    gh = await startTestGatehouse({}, { write: (line) => void logLines.push(line) });
    await registerStdioServer(gh, 'everything', EVERYTHING_SERVER);
    await registerStdioServer(gh, 'crashy', join(FIXTURES, 'crash-server.js'));
    await registerStdioServer(gh, 'lenient', join(FIXTURES, 'crash-server.js'), ['--uncompilable-tool']);
    await registerStdioServer(gh, 'hangcall', join(FIXTURES, 'hung-server.js'), ['--hang-on', 'tools/call'], { timeoutMs: 500 });
    await createProfile(gh, 'api', ['everything', 'crashy', 'hangcall'], { debugLogging: true });
    await createProfile(gh, 'other', ['crashy']);
    await createProfile(gh, 'lenient', ['lenient']);
    key = await issueKey(gh, ['api']);
    otherKey = await issueKey(gh, ['other']);
    lenientKey = await issueKey(gh, ['lenient']);
  }, 30_000);
  afterAll(async () => {
    await gh?.stop();
  });

  it('serves a valid OpenAPI 3.1 document of the profile\'s tools, with an ETag', async () => {
    const response = await fetch(`${gh.url}/openapi/api/openapi.json`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    const document = (await response.json()) as Document;
    expect(document.openapi).toBe('3.1.0');
    expect(await validateWithPackage(document)).toEqual({ valid: true });
    const echo = document.paths['/tools/everything__echo'].post;
    expect(echo.operationId).toBe('everything__echo');
    expect(echo.requestBody.content['application/json'].schema).toMatchObject({ type: 'object', required: ['message'] });
    expect(document.paths['/tools/everything__get-structured-content'].post.responses['200']).toMatchObject({
      content: { 'application/json': { schema: { type: 'object', properties: { temperature: { type: 'number' } } } } },
    });
    expect(document.components).toMatchObject({ securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } });
    const etag = response.headers.get('etag') as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect((await fetch(`${gh.url}/openapi/api/openapi.json`, { headers: { authorization: `Bearer ${key}`, 'if-none-match': etag } })).status).toBe(304);
  });

  it('calls a tool through an operation found by its operationId, as a generic client does', async () => {
    const document = (await (await fetch(`${gh.url}/openapi/api/openapi.json`, { headers: { 'x-api-key': key } })).json()) as Document;
    const [path] = Object.entries(document.paths).find(([, item]) => item.post.operationId === 'everything__echo') as [string, unknown];
    const response = await call(`${document.servers[0].url}${path}`, { message: 'hello over http' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ content: [{ type: 'text', text: 'Echo: hello over http' }] });
    const structured = await call('/openapi/api/tools/everything__get-structured-content', { location: 'Chicago' });
    expect(structured.status).toBe(200);
    expect(await structured.json()).toEqual({ temperature: expect.any(Number), conditions: expect.any(String), humidity: expect.any(Number) });
  });

  it('refuses a body that breaks the input schema with the errors, without calling the upstream', async () => {
    const before = await loggedCalls();
    const refused = await expectHttpProblem(call('/openapi/api/tools/everything__get-sum', { a: 'one', b: 2 }), 400, 'VALIDATION_FAILED');
    expect(refused.errors).toEqual([{ field: '/a', messages: ['must be number'] }]);
    await expectHttpProblem(call('/openapi/api/tools/everything__get-sum', { b: 2 }), 400, 'VALIDATION_FAILED');
    await expectHttpProblem(call('/openapi/api/tools/everything__echo', [1]), 400, 'VALIDATION_FAILED');
    await expectHttpProblem(call('/openapi/api/tools/everything__echo', null, { raw: '{"message":' }), 400);
    expect(await loggedCalls()).toBe(before);
    const sum = await call('/openapi/api/tools/everything__get-sum', { a: 1, b: 2 });
    expect(JSON.stringify(await sum.json())).toContain('3');
    expect(await loggedCalls()).toBe(before + 1);
  });

  it('sends the calls of a tool whose input schema does not compile to the upstream unchecked, says so once, and still checks the other tools', async () => {
    for (const message of [42, 'twice']) {
      const unchecked = await call('/openapi/lenient/tools/lenient__loose', { message }, { key: lenientKey });
      expect(unchecked.status).toBe(200);
      expect(JSON.stringify(await unchecked.json())).toContain(`echo: ${message} (pid`);
    }
    const refused = await expectHttpProblem(call('/openapi/lenient/tools/lenient__echo', { message: 42 }, { key: lenientKey }), 400, 'VALIDATION_FAILED');
    expect(refused.errors).toEqual([{ field: '/message', messages: ['must be string'] }]);
    await gh.observability.flush();
    // Once for the two calls; the line's own fields, without those pino puts on every line.
    const warnings = logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === UNCOMPILABLE)
      .map(({ time: _time, pid: _pid, hostname: _hostname, name: _name, ...fields }) => fields);
    expect(warnings).toEqual([{ level: 'warn', msg: UNCOMPILABLE, tool: 'lenient__loose', error: 'Error: type must be JSONType or JSONType[]: text' }]);
  });

  it('answers 404 for an unknown or inactive tool, 413 for a huge body', async () => {
    await expectHttpProblem(call('/openapi/api/tools/nope__nothing', {}), 404, 'TOOL_NOT_FOUND');
    const etagOf = async () => (await fetch(`${gh.url}/openapi/api/openapi.json`, { headers: { authorization: `Bearer ${key}` } })).headers.get('etag');
    const before = await etagOf();
    const server = (await gh.api('GET', '/api/servers/everything')).body;
    expect((await gh.api('PATCH', `/api/profiles/api/tools/${server.id}/get-env`, { status: 'inactive' })).status).toBe(200);
    expect(await etagOf()).not.toBe(before);
    await expectHttpProblem(call('/openapi/api/tools/everything__get-env', {}), 404, 'TOOL_NOT_FOUND');
    const document = (await (await fetch(`${gh.url}/openapi/api/openapi.json`, { headers: { authorization: `Bearer ${key}` } })).json()) as Document;
    expect(Object.keys(document.paths)).not.toContain('/tools/everything__get-env');
    await expectHttpProblem(call('/openapi/api/tools/everything__echo', { message: 'x'.repeat(2 * 1024 * 1024) }), 413);
    await expectHttpProblem(call('/openapi/nope/tools/everything__echo', {}), 404, 'PROFILE_NOT_FOUND');
  });

  it('needs a key that opens the profile', async () => {
    await expectHttpProblem(call('/openapi/api/tools/everything__echo', { message: 'x' }, { key: '' }), 401);
    await expectHttpProblem(call('/openapi/api/tools/everything__echo', { message: 'x' }, { key: 'gk_not-a-real-key' }), 401);
    await expectHttpProblem(call('/openapi/api/tools/everything__echo', { message: 'x' }, { key: otherKey }), 403);
    await expectHttpProblem(fetch(`${gh.url}/openapi/api/openapi.json`), 401);
  });

  it('answers 504 naming the server when the tool does not answer in time', async () => {
    const started = Date.now();
    const refused = await expectHttpProblem(call('/openapi/api/tools/hangcall__noop', {}), 504, 'UPSTREAM_TIMEOUT');
    expect(refused.detail).toMatch(/hangcall/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers 502 naming the server when the server goes away under the call, and works once it is back', async () => {
    const refused = await expectHttpProblem(call('/openapi/api/tools/crashy__crash', {}), 502, 'UPSTREAM_UNAVAILABLE');
    expect(refused.detail).toMatch(/its server "crashy" is unavailable/);
    let answered: Response | undefined;
    for (let attempt = 0; attempt < 50 && answered?.status !== 200; attempt++) {
      answered = await call('/openapi/api/tools/crashy__echo', { message: 'back' });
      if (answered.status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(answered?.status).toBe(200);
    expect(JSON.stringify(await answered?.json())).toContain('echo: back');
  });
});

/** Debian's Chromium, installed by .ci/run; on a machine without it this part is skipped, loudly. */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
if (!CHROMIUM && process.env.CI !== 'true') {
  console.warn('SKIPPED: the OpenAPI docs page browser test needs Chromium (apt-get install -y chromium); .ci/run installs it');
}
const inBrowser = CHROMIUM || process.env.CI === 'true' ? describe : describe.skip;

inBrowser('the OpenAPI docs page in a real browser', () => {
  let gh: TestGatehouse;
  let key: string;
  let browser: Browser;

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error('CI needs Chromium for the docs page test: .ci/run installs it');
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'everything', EVERYTHING_SERVER);
    await createProfile(gh, 'docs', ['everything']);
    key = await issueKey(gh, ['docs']);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gh?.stop();
  });

  it('asks for the key, renders the operations with Swagger UI served locally, and runs one', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(gh.url)) outside.push(request.url());
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${gh.url}/openapi/docs/docs`);
    await page.getByText('This profile needs an API key.').waitFor({ timeout: 10_000 });
    await page.fill('#key', 'gk_wrong-key');
    await page.click('button[type=submit]');
    await page.getByText('This key does not open the profile.').waitFor({ timeout: 10_000 });
    await page.fill('#key', key);
    await page.click('button[type=submit]');
    const operation = page.locator('.opblock', { hasText: 'everything__echo' }).first();
    await operation.waitFor({ timeout: 15_000 });
    // Swagger UI puts what it cannot read of the document in a warning box above the operations.
    expect(await page.locator('.swagger-ui .errors-wrapper, .swagger-ui .version-pragma').count()).toBe(0);
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.locator('textarea.body-param__text').fill('{"message": "from the browser"}');
    await operation.getByRole('button', { name: 'Execute' }).click();
    await operation.locator('.responses-wrapper .live-responses-table').getByText('Echo: from the browser').first().waitFor({ timeout: 15_000 });
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
    // The key lives in the page's memory only (Swagger UI shows it in its curl line, to its owner).
    expect(await page.evaluate<string>('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie')).not.toContain(key);
    await page.close();
  }, 60_000);
});
