import type * as server from '../../domain/server';
import type { SealedSecret } from '../../domain/shared';
import { defaultProfileEntry, type ServerEntry } from './document';
import { decidedEventCount, describeImport, type ImportDecisions } from './outcome';
import type { ImportPlan } from './plan';

/** A sealed secret: `fp` stands for the value, `enc` changes with every sealing. */
const sealed = (fp: string, enc = `enc-${fp}-${Math.random()}`): SealedSecret => ({ enc, fp, hint: '' });

const entry = (name: string): ServerEntry => ({
  name, transport: 'streamable_http', description: null, command: null, args: [], env: {}, cwd: null, url: 'https://x.example/mcp', headers: {}, bearerToken: null, timeoutMs: null,
});

const before: server.ServerState = {
  status: 'active', serverId: 'srv-web', name: 'web', description: null, transport: 'streamable_http', command: null, args: [], cwd: null,
  url: 'https://x.example/mcp', timeoutMs: null, isolation: 'shared', toolPinning: 'off', credentials: 'shared', tools: [], toolsFingerprint: null, approvedTools: [], approveFirstDiscovery: false,
  env: { KEEP: sealed('keep'), ROTATE: sealed('old'), GONE: sealed('gone') },
  headers: { 'X-Key': sealed('header') },
  bearerToken: sealed('token'),
};

const decisions = (changes: Partial<server.ServerSettings>): ImportDecisions => {
  const plan: ImportPlan = {
    servers: [{ entry: entry('web'), serverId: 'srv-web', exists: true }, { entry: entry('new'), serverId: 'srv-new', exists: false }],
    profiles: [{ entry: defaultProfileEntry('ops'), profileId: 'prf-ops', slug: 'ops', exists: false }],
    attachTo: 'ops',
    serverIds: new Map([['web', 'srv-web'], ['new', 'srv-new']]),
  };
  const reconfigured: server.ServerEvent = { type: 'ServerReconfigured', data: { serverId: 'srv-web', changes } };
  return {
    plan,
    servers: [
      { streamId: 'server-srv-web', events: [reconfigured], version: 1, state: before },
      { streamId: 'server-srv-new', events: [{ type: 'ServerRegistered', data: {} } as server.ServerEvent], version: 0, state: { status: 'empty' } },
    ],
    profiles: [{ streamId: 'profile-prf-ops', events: [{ type: 'ProfileCreated', data: {} }, { type: 'ServerAttached', data: {} }], version: 0, state: null }],
  };
};

describe('describing an import', () => {
  it('names the secrets a reconfiguration replaces or drops by fingerprint, not by ciphertext', () => {
    const changes = {
      args: ['--verbose'],
      // KEEP sealed again from the same value: another ciphertext, the same secret.
      env: { KEEP: sealed('keep'), ROTATE: sealed('new'), ADDED: sealed('added') },
      headers: {},
      bearerToken: sealed('other-token'),
    };
    expect(describeImport(decisions(changes), [], false).servers[0]).toEqual({
      name: 'web', id: 'srv-web', action: 'reconfigured', changed: ['args', 'env', 'headers', 'bearerToken'],
      secretsReplaced: ['env.ROTATE', 'bearerToken'], secretsDropped: ['env.GONE', 'headers.X-Key'],
    });
  });

  it('tells a dropped bearer token from a replaced one', () => {
    expect(describeImport(decisions({ bearerToken: null }), [], false).servers[0]).toMatchObject({ secretsReplaced: [], secretsDropped: ['bearerToken'] });
  });

  it('gives no ids for what a dry run would create, and counts the events it would append', () => {
    const dryRun = decisions({ timeoutMs: 5000 });
    expect(describeImport(dryRun, ['a warning'], true)).toEqual({
      servers: [
        { name: 'web', id: 'srv-web', action: 'reconfigured', changed: ['timeoutMs'], secretsReplaced: [], secretsDropped: [] },
        { name: 'new', id: null, action: 'registered', changed: [], secretsReplaced: [], secretsDropped: [] },
      ],
      profiles: [{ slug: 'ops', id: null, action: 'created' }],
      attachedTo: 'ops',
      warnings: ['a warning'],
    });
    expect(describeImport(dryRun, [], false).profiles).toEqual([{ slug: 'ops', id: 'prf-ops', action: 'created' }]);
    expect(decidedEventCount(dryRun)).toBe(4);
  });
});
