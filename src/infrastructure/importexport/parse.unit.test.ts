import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImportRefusedError, MAX_DOCUMENT_BYTES, MAX_SERVERS, type EntryError } from './document';
import { parseImportDocument, parseImportText } from './parse';

/** A Claude Desktop file as it is on disk: the app's own settings next to `mcpServers`. */
const CLAUDE_DESKTOP_FILE = join(__dirname, '../../../test/fixtures/claude_desktop_config.json');

const servers = (mcpServers: Record<string, unknown>) => parseImportDocument({ mcpServers }).servers;

/** The errors a document is refused with, as `field → messages`. */
const refusal = (document: unknown): Record<string, readonly string[]> => {
  try {
    parseImportDocument(document);
  } catch (error) {
    if (!(error instanceof ImportRefusedError)) throw error;
    return Object.fromEntries(error.errors.map((entry: EntryError) => [entry.field, entry.messages]));
  }
  throw new Error('the document was accepted');
};

const refusedFields = (mcpServers: Record<string, unknown>): string[] => Object.keys(refusal({ mcpServers }));

describe('parsing an import document', () => {
  describe('transports', () => {
    it.each([
      ['stdio', 'stdio'],
      ['sse', 'sse'],
      ['http', 'streamable_http'],
      ['streamable_http', 'streamable_http'],
      ['streamableHttp', 'streamable_http'],
    ])('reads type %j as %s', (type, transport) => {
      const entry = type === 'stdio' ? { type, command: 'node' } : { type, url: 'https://mcp.example.com/mcp' };
      expect(servers({ s: entry })).toMatchObject([{ name: 's', transport }]);
    });

    it('accepts `transport` as an alias of `type`', () => {
      expect(servers({ s: { transport: 'streamableHttp', url: 'http://localhost:3000/mcp' } })).toMatchObject([{ transport: 'streamable_http' }]);
    });

    it('accepts type and transport together when they agree', () => {
      expect(servers({ s: { type: 'http', transport: 'streamable_http', url: 'http://localhost/mcp' } })).toMatchObject([{ transport: 'streamable_http' }]);
    });

    it('reads a command without type as stdio and a url without type as Streamable HTTP', () => {
      expect(servers({ a: { command: 'npx', args: ['-y', 'server'] }, b: { url: 'https://x.example/mcp' } })).toMatchObject([
        { name: 'a', transport: 'stdio', command: 'npx', args: ['-y', 'server'], url: null },
        { name: 'b', transport: 'streamable_http', command: null, url: 'https://x.example/mcp' },
      ]);
    });
  });

  it('reads every field, with absent ones empty', () => {
    const [full, bare] = servers({
      full: {
        type: 'stdio', command: 'node', args: ['s.js'], env: { TOKEN: 'plain-secret-value', KEPT: '••••abcd', LOG_LEVEL: { value: 'debug', secret: true } }, cwd: '/srv',
        description: 'Files', timeoutMs: 5000,
      },
      bare: { type: 'sse', url: 'http://localhost:3001/sse', headers: { 'X-Key': 'v' }, bearerToken: '••••' },
    });
    expect(full).toEqual({
      name: 'full', transport: 'stdio', description: 'Files', command: 'node', args: ['s.js'],
      env: {
        TOKEN: { value: { kind: 'plain', value: 'plain-secret-value' }, secret: null },
        KEPT: { value: { kind: 'masked' }, secret: null },
        LOG_LEVEL: { value: { kind: 'plain', value: 'debug' }, secret: true },
      },
      cwd: '/srv', url: null, headers: {}, bearerToken: null, timeoutMs: 5000,
    });
    expect(bare).toMatchObject({ args: [], env: {}, headers: { 'X-Key': { value: { kind: 'plain', value: 'v' }, secret: null } }, bearerToken: { kind: 'masked' }, description: null, cwd: null, timeoutMs: null });
  });

  it('accepts an empty document', () => {
    expect(parseImportDocument({ mcpServers: {} })).toEqual({ servers: [], profiles: null, warnings: [] });
  });

  describe('a real Claude Desktop file', () => {
    it('reads its servers and ignores its other settings, with a warning naming them', () => {
      const document = parseImportText(readFileSync(CLAUDE_DESKTOP_FILE, 'utf8'));
      expect(document.servers.map(({ name, transport, command }) => [name, transport, command])).toEqual([
        ['filesystem', 'stdio', 'npx'],
        ['github', 'stdio', 'npx'],
        ['linear', 'stdio', 'npx'],
      ]);
      expect(document.servers[1].env).toEqual({ GITHUB_PERSONAL_ACCESS_TOKEN: { value: { kind: 'plain', value: 'github-token-fixture-0001' }, secret: null } });
      expect(document.warnings).toEqual(['ignored top-level fields "globalShortcut", "preferences": only mcpServers and gatehouse are imported']);
    });

    it('still refuses an unknown field inside a server entry, naming it and not the ignored ones', () => {
      const file = JSON.parse(readFileSync(CLAUDE_DESKTOP_FILE, 'utf8')) as { mcpServers: Record<string, Record<string, unknown>> };
      file.mcpServers.github.autoApprove = ['search_repositories'];
      expect(refusal(file)).toEqual({
        'mcpServers.github.autoApprove': ['unknown field; expected one of type, transport, command, args, env, cwd, url, headers, description, bearerToken, timeoutMs, toolPinning, credentials, approvedTools'],
      });
    });
  });

  describe('ignored top-level fields', () => {
    it('names one field in the singular', () => {
      expect(parseImportDocument({ globalShortcut: '', mcpServers: {} }).warnings).toEqual([
        'ignored top-level field "globalShortcut": only mcpServers and gatehouse are imported',
      ]);
    });

    it('names at most ten, each quoted and cut to 64 characters', () => {
      const keys = ['\u001b[31mred', 'x'.repeat(100), ...Array.from({ length: 10 }, (_, i) => `k${i}`)];
      const document = parseImportDocument({ mcpServers: {}, ...Object.fromEntries(keys.map((key) => [key, 1])) });
      expect(document.warnings).toEqual([
        `ignored top-level fields "\\u001b[31mred", "${'x'.repeat(64)}…", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7" and 2 more: only mcpServers and gatehouse are imported`,
      ]);
    });

    it('does not stand in for mcpServers, which is still required', () => {
      expect(refusal({ globalShortcut: 'Alt+Space' })).toEqual({ mcpServers: ['is required'] });
    });
  });

  describe('refusals', () => {
    it.each<[string, Record<string, unknown>, string]>([
      ['a name with a space', { 'my server': { command: 'x' } }, 'mcpServers.my server'],
      ['a name with "__"', { a__b: { command: 'x' } }, 'mcpServers.a__b'],
      ['a name over 64 characters', { ['x'.repeat(65)]: { command: 'x' } }, `mcpServers.${'x'.repeat(65)}`],
      ['an entry that is no object', { s: 'node server.js' }, 'mcpServers.s'],
      ['an unknown type', { s: { type: 'websocket', url: 'http://x/' } }, 'mcpServers.s.type'],
      ['a type that is no string', { s: { type: 1, command: 'x' } }, 'mcpServers.s.type'],
      ['type and transport that disagree', { s: { type: 'sse', transport: 'http', url: 'http://x/' } }, 'mcpServers.s.transport'],
      ['neither command nor url', { s: { args: ['x'] } }, 'mcpServers.s.type'],
      ['command and url without type', { s: { command: 'x', url: 'http://x/' } }, 'mcpServers.s.type'],
      ['a stdio server without command', { s: { type: 'stdio' } }, 'mcpServers.s.command'],
      ['a stdio server with a url', { s: { type: 'stdio', command: 'x', url: 'http://x/' } }, 'mcpServers.s.url'],
      ['an http server without url', { s: { type: 'http' } }, 'mcpServers.s.url'],
      ['an sse server with a command', { s: { type: 'sse', url: 'http://x/', command: 'x' } }, 'mcpServers.s.command'],
      ['a url that is not http(s)', { s: { url: 'file:///etc/passwd' } }, 'mcpServers.s.url'],
      ['a url that is no URL', { s: { type: 'sse', url: 'not a url' } }, 'mcpServers.s.url'],
      ['a blank command', { s: { command: '   ' } }, 'mcpServers.s.command'],
      ['args that are not strings', { s: { command: 'x', args: ['a', 1] } }, 'mcpServers.s.args'],
      ['args that are no array', { s: { command: 'x', args: '-y' } }, 'mcpServers.s.args'],
      ['env that is no object', { s: { command: 'x', env: ['A=1'] } }, 'mcpServers.s.env'],
      ['an env value that is no string', { s: { command: 'x', env: { PORT: 3000 } } }, 'mcpServers.s.env.PORT'],
      ['an env value object without secret', { s: { command: 'x', env: { PORT: { value: '3000' } } } }, 'mcpServers.s.env.PORT'],
      ['an env value object with another field', { s: { command: 'x', env: { PORT: { value: '3000', secret: false, note: 'x' } } } }, 'mcpServers.s.env.PORT'],
      ['an env secret flag that is no boolean', { s: { command: 'x', env: { PORT: { value: '3000', secret: 'no' } } } }, 'mcpServers.s.env.PORT'],
      ['an env name with "="', { s: { command: 'x', env: { 'A=B': 'v' } } }, 'mcpServers.s.env.A=B'],
      ['a header name with a space', { s: { url: 'http://x/', headers: { 'X Key': 'v' } } }, 'mcpServers.s.headers.X Key'],
      ['an empty cwd', { s: { command: 'x', cwd: '' } }, 'mcpServers.s.cwd'],
      ['a zero timeout', { s: { command: 'x', timeoutMs: 0 } }, 'mcpServers.s.timeoutMs'],
      ['a fractional timeout', { s: { command: 'x', timeoutMs: 1.5 } }, 'mcpServers.s.timeoutMs'],
      ['a timeout above ten minutes', { s: { command: 'x', timeoutMs: 600_001 } }, 'mcpServers.s.timeoutMs'],
      ['a description that is no string', { s: { command: 'x', description: 42 } }, 'mcpServers.s.description'],
      ['an empty bearer token', { s: { url: 'http://x/', bearerToken: '' } }, 'mcpServers.s.bearerToken'],
      ['an unknown field', { s: { command: 'x', comand: 'y' } }, 'mcpServers.s.comand'],
    ])('refuses %s, naming the field', (_, mcpServers, field) => {
      expect(refusedFields(mcpServers)).toEqual([field]);
    });

    it('collects the errors of every entry, and every error of one entry, before refusing', () => {
      const errors = refusal({
        mcpServers: {
          good: { command: 'node' },
          one: { type: 'sse' },
          two: { command: 'x', timeoutMs: -1, env: { A: 1 }, extra: true },
          'bad name': { command: 'x' },
        },
      });
      expect(Object.keys(errors).sort()).toEqual(
        ['mcpServers.bad name', 'mcpServers.one.url', 'mcpServers.two.env.A', 'mcpServers.two.extra', 'mcpServers.two.timeoutMs'].sort(),
      );
    });

    it('says what a refusal is about in its message', () => {
      expect(() => parseImportDocument({ mcpServers: { s: {} } })).toThrow('The import was refused (nothing was changed): mcpServers.s.type: cannot be told: give command (stdio) or url (sse, http)');
    });

    it.each<[string, unknown, string]>([
      ['a document that is no object', [], '$'],
      ['a document without mcpServers', { servers: {} }, 'mcpServers'],
      ['mcpServers that is no object', { mcpServers: [] }, 'mcpServers'],
    ])('refuses %s', (_, document, field) => {
      expect(Object.keys(refusal(document))).toContain(field);
    });

    it(`refuses more than ${MAX_SERVERS} servers`, () => {
      const many = Object.fromEntries(Array.from({ length: MAX_SERVERS + 1 }, (_, i) => [`s${i}`, { command: 'x' }]));
      expect(refusal({ mcpServers: many })).toEqual({ mcpServers: [expect.stringMatching(/at most 1000/)] });
    });
  });

  describe('from text', () => {
    it('parses JSON text', () => {
      expect(parseImportText('{"mcpServers": {"s": {"command": "x"}}}').servers).toHaveLength(1);
    });

    it('refuses text that is not JSON', () => {
      expect(() => parseImportText('{"mcpServers": ')).toThrow(ImportRefusedError);
    });

    it('refuses a document over 1 MiB', () => {
      const text = JSON.stringify({ mcpServers: { s: { command: 'x', description: 'd'.repeat(MAX_DOCUMENT_BYTES) } } });
      expect(() => parseImportText(text)).toThrow(/at most 1048576/);
    });
  });
});
