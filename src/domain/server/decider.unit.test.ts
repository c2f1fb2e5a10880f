import type { SealedSecret } from '../shared';
import { fold } from '../shared';
import { deciderSpec } from '../../../test/support/decider-spec';
import type { ServerCommand } from './commands';
import { serverDecider, snapshotOf } from './decider';
import type { ServerEvent, ServerSettings, ServerSnapshot } from './events';

const spec = deciderSpec(serverDecider);
const serverId = 'srv-1';

const sealed = (fp: string, enc = `enc(${fp})`): SealedSecret => ({ enc, fp, hint: fp.slice(-4) });

const stdio: ServerSettings = {
  description: null,
  transport: 'stdio',
  command: 'node',
  args: ['server.js'],
  env: { API_KEY: sealed('k1') },
  cwd: null,
  url: null,
  headers: {},
  bearerToken: null,
  timeoutMs: null,
  isolation: 'shared',
  toolPinning: 'off',
  credentials: 'shared',
};
const http: ServerSettings = {
  ...stdio,
  transport: 'streamable_http',
  command: null,
  args: [],
  env: {},
  url: 'https://mcp.example.com/mcp',
};
const snapshot: ServerSnapshot = { serverId, name: 'files', ...stdio };

const registered: ServerEvent = { type: 'ServerRegistered', data: snapshot };
const removedEvent: ServerEvent = { type: 'ServerRemoved', data: { serverId, name: 'files' } };

const register = (name = 'files', settings: ServerSettings = stdio): ServerCommand => ({
  type: 'RegisterServer',
  data: { serverId, name, settings },
});
const reconfigure = (changes: Partial<ServerSettings> & { name?: string }): ServerCommand => ({
  type: 'ReconfigureServer',
  data: { serverId, changes },
});
const remove: ServerCommand = { type: 'RemoveServer', data: { serverId } };
const discover = (fingerprint: string): ServerCommand => ({
  type: 'RecordDiscoveredTools',
  data: { serverId, tools: [{ name: 'read', inputSchema: { type: 'object' } }], fingerprint },
});
const revert = (target: ServerSnapshot | null): ServerCommand => ({ type: 'RevertServer', data: { serverId, target } });

/** Folding the decided events must land exactly on the target. */
const snapshotAfterRevert = (given: ServerEvent[], target: ServerSnapshot | null): ServerSnapshot | null => {
  const outcome = spec.given(...given).when(revert(target));
  if (!('events' in outcome)) throw new Error(`revert failed: ${outcome.error}`);
  return snapshotOf(fold(serverDecider, [...given, ...outcome.events]));
};

describe('server decider', () => {
  describe('given no server', () => {
    it('registers a stdio server', () => {
      expect(spec.given().when(register())).toEqual({ events: [registered] });
    });

    it('registers a streamable HTTP server', () => {
      expect(spec.given().when(register('remote', http))).toEqual({
        events: [{ type: 'ServerRegistered', data: { serverId, name: 'remote', ...http } }],
      });
    });

    it.each(['bad name', 'a__b', '', 'x'.repeat(65)])('refuses the name %j', (name) => {
      expect(spec.given().when(register(name))).toMatchObject({ error: 'INVALID_NAME' });
    });

    it.each<[string, Partial<ServerSettings>, string]>([
      ['a stdio server without command', { command: null }, 'command'],
      ['a stdio server with a blank command', { command: '  ' }, 'command'],
      ['a stdio server with a url', { url: 'https://x.example' }, 'url'],
      ['an http server without url', { transport: 'sse', command: null }, 'url'],
      ['an http server with a non-http url', { transport: 'sse', command: null, url: 'file:///etc/passwd' }, 'url'],
      ['an http server with an unparseable url', { transport: 'sse', command: null, url: 'not a url' }, 'url'],
      ['an http server with a command', { transport: 'sse', url: 'http://localhost:3000/sse' }, 'command'],
      ['a zero timeout', { timeoutMs: 0 }, 'timeoutMs'],
      ['a fractional timeout', { timeoutMs: 1.5 }, 'timeoutMs'],
      ['a timeout above ten minutes', { timeoutMs: 600_001 }, 'timeoutMs'],
      ['an env name with "="', { env: { 'A=B': sealed('x') } }, 'env'],
      ['a header name with a space', { headers: { 'X Key': sealed('x') } }, 'headers'],
      ['an unknown credential mode', { credentials: 'everyone' as ServerSettings['credentials'] }, 'credentials'],
      ['a per_user server with a password in its url', { transport: 'sse', command: null, url: 'https://u:p@x.example/sse', credentials: 'per_user' }, 'url'],
      ['a per_user server with a user in its url', { transport: 'sse', command: null, url: 'https://u@x.example/sse', credentials: 'per_user' }, 'url'],
      ['a per_user server with a token in its query', { transport: 'sse', command: null, url: 'https://x.example/sse?access_token=abc', credentials: 'per_user' }, 'url'],
      ['a per_user server with a signature in its query', { transport: 'sse', command: null, url: 'https://x.example/sse?sig=abc', credentials: 'per_user' }, 'url'],
      ['a per_user server with a key-like query value', { transport: 'sse', command: null, url: 'https://x.example/sse?q=sk-abcdefghijklmnop', credentials: 'per_user' }, 'url'],
      ['a per_user server with --token in its args', { args: ['server.js', '--token', 'abc'], credentials: 'per_user' }, 'args[1]'],
      ['a per_user server with --api-key= in its args', { args: ['--api-key=abc'], credentials: 'per_user' }, 'args[0]'],
      ['a per_user server with a key in its args', { args: ['run', 'sk-abcdefghijklmnop'], credentials: 'per_user' }, 'args[1]'],
      ['a per_user server with a password URL in its args', { args: ['postgres://u:secret@db/x'], credentials: 'per_user' }, 'args[0]'],
    ])('refuses %s', (_, change, field) => {
      expect(spec.given().when(register('files', { ...stdio, ...change }))).toEqual({
        error: 'INVALID_SERVER_CONFIG',
        details: { field },
      });
    });

    it.each<[string, Partial<ServerSettings>]>([
      ['a shared server with a password in its url', { transport: 'sse', command: null, url: 'https://u:p@x.example/sse' }],
      ['a shared server with --token in its args', { args: ['--token', 'abc'] }],
      ['a per_user server with plain args', { args: ['server.js', '--verbose', '--no-auth', '--port', '8080'], credentials: 'per_user' }],
      ['a per_user server with a plain query', { transport: 'sse', command: null, url: 'https://x.example/sse?tenant=acme&api-version=2', credentials: 'per_user' }],
    ])('accepts %s', (_, change) => {
      expect(spec.given().when(register('files', { ...stdio, ...change }))).toMatchObject({ events: [{ type: 'ServerRegistered' }] });
    });

    it('accepts the largest timeout', () => {
      expect(spec.given().when(register('files', { ...stdio, timeoutMs: 600_000 }))).toMatchObject({
        events: [{ type: 'ServerRegistered' }],
      });
    });

    it.each<ServerCommand>([reconfigure({ name: 'other' }), remove, revert(snapshot)])(
      'reports $type as not found',
      (command) => {
        expect(spec.given().when(command)).toMatchObject({ error: 'SERVER_NOT_FOUND' });
      },
    );

    it('ignores discovered tools', () => {
      expect(spec.given().when(discover('fp1'))).toEqual({ events: [] });
    });
  });

  describe('given an active server', () => {
    it('switches to per-user credentials, and reads an old event without the field as shared', () => {
      const { credentials: _absent, ...old } = snapshot;
      const given: ServerEvent = { type: 'ServerRegistered', data: old as ServerSnapshot };
      expect(snapshotOf(fold(serverDecider, [given]))?.credentials).toBe('shared');
      expect(spec.given(given).when(reconfigure({ credentials: 'per_user' }))).toEqual({
        events: [{ type: 'ServerReconfigured', data: { serverId, changes: { credentials: 'per_user' } } }],
      });
      expect(spec.given(given).when(reconfigure({ credentials: 'shared' }))).toEqual({ events: [] });
    });

    it('accepts the same registration again without appending', () => {
      expect(spec.given(registered).when(register())).toEqual({ events: [] });
    });

    it('treats a re-sealed secret with the same fingerprint as the same registration', () => {
      const resealed = { ...stdio, env: { API_KEY: sealed('k1', 'other ciphertext') } };
      expect(spec.given(registered).when(register('files', resealed))).toEqual({ events: [] });
    });

    it('refuses a different registration under the same id', () => {
      expect(spec.given(registered).when(register('files', { ...stdio, args: [] }))).toMatchObject({
        error: 'SERVER_ALREADY_EXISTS',
      });
    });

    describe('when reconfigured', () => {
      it('renames it', () => {
        expect(spec.given(registered).when(reconfigure({ name: 'fs' }))).toEqual({
          events: [{ type: 'ServerRenamed', data: { serverId, name: 'fs', previousName: 'files' } }],
        });
      });

      it('carries only the fields that changed', () => {
        const changes = { args: ['server.js'], timeoutMs: 5_000, description: 'Local files' };
        expect(spec.given(registered).when(reconfigure(changes))).toEqual({
          events: [
            { type: 'ServerReconfigured', data: { serverId, changes: { description: 'Local files', timeoutMs: 5_000 } } },
          ],
        });
      });

      it('renames and reconfigures in one go', () => {
        expect(spec.given(registered).when(reconfigure({ name: 'fs', args: [] }))).toEqual({
          events: [
            { type: 'ServerRenamed', data: { serverId, name: 'fs', previousName: 'files' } },
            { type: 'ServerReconfigured', data: { serverId, changes: { args: [] } } },
          ],
        });
      });

      it('appends nothing when nothing differs', () => {
        const same = {
          name: 'files',
          args: ['server.js'],
          env: { API_KEY: sealed('k1', 're-encrypted') },
          timeoutMs: undefined,
        };
        expect(spec.given(registered).when(reconfigure(same))).toEqual({ events: [] });
      });

      it('sees a secret with a new fingerprint as a change', () => {
        const env = { API_KEY: sealed('k2') };
        expect(spec.given(registered).when(reconfigure({ env }))).toEqual({
          events: [{ type: 'ServerReconfigured', data: { serverId, changes: { env } } }],
        });
      });

      it('keeps a plain env value as it is, and sees a change of value or of secrecy as a change', () => {
        const plainLevel = { API_KEY: sealed('k1'), LOG_LEVEL: { plain: 'debug' } };
        const withPlain: ServerEvent = { type: 'ServerReconfigured', data: { serverId, changes: { env: plainLevel } } };
        expect(spec.given(registered).when(reconfigure({ env: plainLevel }))).toEqual({ events: [withPlain] });
        expect(spec.given(registered, withPlain).when(reconfigure({ env: { API_KEY: sealed('k1', 'again'), LOG_LEVEL: { plain: 'debug' } } }))).toEqual({ events: [] });
        const changes = [{ ...plainLevel, LOG_LEVEL: { plain: 'info' } }, { ...plainLevel, LOG_LEVEL: sealed('debug') }];
        for (const env of changes) {
          expect(spec.given(registered, withPlain).when(reconfigure({ env }))).toEqual({ events: [{ type: 'ServerReconfigured', data: { serverId, changes: { env } } }] });
        }
      });

      it('refuses a plain env value with a NUL character', () => {
        expect(spec.given(registered).when(reconfigure({ env: { LOG_LEVEL: { plain: 'de\0bug' } } }))).toEqual({
          error: 'INVALID_SERVER_CONFIG',
          details: { field: 'env.LOG_LEVEL' },
        });
      });

      it('switches transport when the result is consistent', () => {
        const change = { transport: 'sse' as const, command: null, url: 'http://localhost:3001/sse' };
        expect(spec.given(registered).when(reconfigure(change))).toEqual({
          events: [{ type: 'ServerReconfigured', data: { serverId, changes: change } }],
        });
      });

      it('refuses a transport switch that leaves the command behind', () => {
        const change = { transport: 'sse' as const, url: 'http://localhost:3001/sse' };
        expect(spec.given(registered).when(reconfigure(change))).toEqual({
          error: 'INVALID_SERVER_CONFIG',
          details: { field: 'command' },
        });
      });

      it('refuses an invalid new name', () => {
        expect(spec.given(registered).when(reconfigure({ name: 'my__server' }))).toMatchObject({ error: 'INVALID_NAME' });
      });
    });

    it('removes it', () => {
      expect(spec.given(registered).when(remove)).toEqual({ events: [removedEvent] });
    });

    describe('when tools are discovered', () => {
      const discovered = (fingerprint: string): ServerEvent => ({
        type: 'ServerToolsDiscovered',
        data: { serverId, tools: [{ name: 'read', inputSchema: { type: 'object' } }], fingerprint },
      });

      it('records the first list', () => {
        expect(spec.given(registered).when(discover('fp1'))).toEqual({ events: [discovered('fp1')] });
      });

      it('records a changed list', () => {
        expect(spec.given(registered, discovered('fp1')).when(discover('fp2'))).toEqual({ events: [discovered('fp2')] });
      });

      it('does not record the same list twice', () => {
        expect(spec.given(registered, discovered('fp1')).when(discover('fp1'))).toEqual({ events: [] });
      });
    });

    describe('when reverted', () => {
      const renamed: ServerEvent = { type: 'ServerRenamed', data: { serverId, name: 'fs', previousName: 'files' } };
      const reconfigured: ServerEvent = {
        type: 'ServerReconfigured',
        data: { serverId, changes: { timeoutMs: 9_000, args: [] } },
      };

      it('removes it when it did not exist at the target', () => {
        expect(spec.given(registered).when(revert(null))).toEqual({ events: [removedEvent] });
      });

      it('undoes renames and reconfigurations', () => {
        expect(spec.given(registered, renamed, reconfigured).when(revert(snapshot))).toEqual({
          events: [
            { type: 'ServerRenamed', data: { serverId, name: 'files', previousName: 'fs' } },
            { type: 'ServerReconfigured', data: { serverId, changes: { args: ['server.js'], timeoutMs: null } } },
          ],
        });
        expect(snapshotAfterRevert([registered, renamed, reconfigured], snapshot)).toEqual(snapshot);
      });

      it('appends nothing when it already is the target', () => {
        expect(spec.given(registered).when(revert(snapshot))).toEqual({ events: [] });
      });

      it('refuses to bring back a per_user state whose args carry a credential (recorded before that was refused)', () => {
        const leaky: ServerSnapshot = { ...snapshot, args: ['--token', 'abc'], credentials: 'per_user' };
        expect(spec.given(registered).when(revert(leaky))).toEqual({ error: 'INVALID_SERVER_CONFIG', details: { field: 'args[0]' } });
      });
    });
  });

  describe('given a removed server', () => {
    it.each<ServerCommand>([register(), reconfigure({ name: 'other' })])('refuses $type', (command) => {
      expect(spec.given(registered, removedEvent).when(command)).toMatchObject({ error: 'SERVER_REMOVED' });
    });

    it('removes it again without appending', () => {
      expect(spec.given(registered, removedEvent).when(remove)).toEqual({ events: [] });
    });

    it('ignores discovered tools', () => {
      expect(spec.given(registered, removedEvent).when(discover('fp1'))).toEqual({ events: [] });
    });

    it('restores it by a revert to a time it existed', () => {
      const target = { ...snapshot, timeoutMs: 1_000 };
      expect(spec.given(registered, removedEvent).when(revert(target))).toEqual({
        events: [{ type: 'ServerRestored', data: target }],
      });
      expect(snapshotAfterRevert([registered, removedEvent], target)).toEqual(target);
    });

    it('appends nothing for a revert to a time it did not exist', () => {
      expect(spec.given(registered, removedEvent).when(revert(null))).toEqual({ events: [] });
    });

    it('forgets its tools, so that they are recorded again after a restore', () => {
      const tools: ServerEvent = { type: 'ServerToolsDiscovered', data: { serverId, tools: [], fingerprint: 'fp1' } };
      const restored: ServerEvent = { type: 'ServerRestored', data: snapshot };
      expect(spec.given(registered, tools, removedEvent, restored).when(discover('fp1'))).toMatchObject({
        events: [{ type: 'ServerToolsDiscovered' }],
      });
    });
  });

  describe('secret headers', () => {
    const withHeaders: ServerSettings = { ...http, headers: { 'X-Tenant': sealed('t1'), 'X-Customer': sealed('c1') } };
    const flagged: ServerSettings = { ...withHeaders, secretHeaders: ['X-Customer'] };
    const registeredWith = (settings: ServerSettings): ServerEvent => ({ type: 'ServerRegistered', data: { serverId, name: 'remote', ...settings } });

    describe('given no server', () => {
      it('registers a server with the headers it declares secret', () => {
        expect(spec.given().when(register('remote', flagged))).toEqual({ events: [registeredWith(flagged)] });
      });

      it('records no flag when no header is declared secret, as before the flag existed', () => {
        const outcome = spec.given().when(register('remote', { ...withHeaders, secretHeaders: [] }));
        expect(outcome).toEqual({ events: [registeredWith(withHeaders)] });
      });

      it('refuses a secret flag on a header the server does not have', () => {
        expect(spec.given().when(register('remote', { ...withHeaders, secretHeaders: ['X-Missing'] }))).toMatchObject({ error: 'INVALID_SERVER_CONFIG' });
      });
    });

    describe('given a server registered before headers had a secret flag', () => {
      const old = registeredWith(withHeaders);

      it('has no secret headers', () => {
        expect(snapshotOf(fold(serverDecider, [old]))?.secretHeaders).toBeUndefined();
      });

      it('declares a header secret with a change of the flag alone', () => {
        expect(spec.given(old).when(reconfigure({ secretHeaders: ['X-Customer'] }))).toEqual({
          events: [{ type: 'ServerReconfigured', data: { serverId, changes: { secretHeaders: ['X-Customer'] } } }],
        });
      });
    });

    describe('given a server with a secret header', () => {
      const given = registeredWith(flagged);

      it('appends nothing when the same header is declared secret again', () => {
        expect(spec.given(given).when(reconfigure({ headers: flagged.headers, secretHeaders: ['X-Customer'] }))).toEqual({ events: [] });
      });

      it('keeps the flag when a patch does not touch the headers', () => {
        const outcome = spec.given(given).when(reconfigure({ timeoutMs: 5000 }));
        expect(outcome).toEqual({ events: [{ type: 'ServerReconfigured', data: { serverId, changes: { timeoutMs: 5000 } } }] });
      });

      it('drops the flag with the header it belongs to', () => {
        const outcome = spec.given(given).when(reconfigure({ headers: { 'X-Tenant': sealed('t1') } }));
        expect(outcome).toEqual({
          events: [{ type: 'ServerReconfigured', data: { serverId, changes: { headers: { 'X-Tenant': sealed('t1') }, secretHeaders: [] } } }],
        });
        if (!('events' in outcome)) throw new Error('no events');
        expect(snapshotOf(fold(serverDecider, [given, ...outcome.events]))?.secretHeaders).toBeUndefined();
      });

      it('makes the header plain again with an empty list', () => {
        const outcome = spec.given(given).when(reconfigure({ secretHeaders: [] }));
        expect(outcome).toEqual({ events: [{ type: 'ServerReconfigured', data: { serverId, changes: { secretHeaders: [] } } }] });
      });

      it('refuses a flag on a header the patch removes', () => {
        expect(spec.given(given).when(reconfigure({ headers: { 'X-Tenant': sealed('t1') }, secretHeaders: ['X-Customer'] }))).toMatchObject({
          error: 'INVALID_SERVER_CONFIG',
        });
      });

      it('brings the flag back with a revert to before it was dropped', () => {
        const dropped: ServerEvent = { type: 'ServerReconfigured', data: { serverId, changes: { secretHeaders: [] } } };
        expect(snapshotAfterRevert([given, dropped], { serverId, name: 'remote', ...flagged })).toEqual({ serverId, name: 'remote', ...flagged });
      });
    });
  });

  describe('evolve', () => {
    it('ignores events that do not apply to the state', () => {
      const state = serverDecider.initialState();
      expect(serverDecider.evolve(state, removedEvent)).toBe(state);
      const renamed: ServerEvent = { type: 'ServerRenamed', data: { serverId, name: 'x', previousName: 'y' } };
      expect(serverDecider.evolve(state, renamed)).toBe(state);
    });

    it('snapshots only an active server', () => {
      expect(snapshotOf(fold(serverDecider, [registered]))).toEqual(snapshot);
      expect(snapshotOf(fold(serverDecider, [registered, removedEvent]))).toBeNull();
    });
  });
});
