import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { watchDriftingServer, type DriftingWatch } from '../support/drifting';
import { clientPool } from '../support/mcp-client';
import { expectProblem } from '../support/problem';

type Tool = { exposedName: string; originalName: string; changedUpstream: boolean };
type Change = { position: number; recordedAt: string; actor: string; change: string; hash: string | null; diff: { field: string; from: unknown; to: unknown }[]; approvedBy?: string; reason?: string };

/** What changed upstream, read from the server's stream: the drifting fixture changes a description while connected. */
describe('tool definitions that change upstream (real stdio server, SDK client)', () => {
  let gh: TestGatehouse;
  let client: Client;
  const { open, closeAll } = clientPool(() => gh.url);
  const tools = async (slug: string): Promise<Tool[]> => (await gh.api('GET', `/api/profiles/${slug}/tools`)).body.tools as Tool[];
  const changed = async (slug: string): Promise<string[]> => (await tools(slug)).filter((tool) => tool.changedUpstream).map((tool) => tool.originalName);
  let change: DriftingWatch['change'];
  let drift: DriftingWatch['drift'];

  beforeAll(async () => {
    gh = await startTestGatehouse();
    ({ client, change, drift } = await watchDriftingServer(gh, open));
  }, 30_000);
  afterAll(async () => {
    await closeAll();
    await gh?.stop();
  });

  it('marks no tool as changed when each is as first seen', async () => {
    expect((await tools('watch')).map((tool) => [tool.originalName, tool.changedUpstream])).toEqual([
      ['drift', false],
      ['notes', false],
      ['sprout', false],
    ]);
  });

  it('marks a tool whose definition changed since first seen, and unmarks it when it is back as it was', async () => {
    await drift('Reads the notes, then something else');
    expect(await changed('watch')).toEqual(['notes']);
    await drift('Reads the notes');
    expect(await changed('watch')).toEqual([]);
  }, 30_000);

  it('does not mark a tool that appeared later, and compares with the approved definition once there is one', async () => {
    await change('sprout');
    expect((await tools('watch')).map((tool) => tool.originalName)).toContain('sprouted');
    expect(await changed('watch')).toEqual([]);

    await drift('Reads the notes, approved this time');
    expect(await changed('watch')).toEqual(['notes']);
    expect((await gh.api('POST', '/api/servers/drifting/tools/approve', { tools: ['notes'] })).status).toBe(200);
    expect(await changed('watch')).toEqual([]);
    // Back to the first description: now that differs from what was approved.
    await drift('Reads the notes');
    expect(await changed('watch')).toEqual(['notes']);
  }, 30_000);

  it('answers each tool\'s definition history from the log: added, changed (with the fields), approved', async () => {
    const notes = await gh.api('GET', '/api/servers/drifting/tools/notes/history');
    expect(notes.status).toBe(200);
    expect(notes.body).toMatchObject({ name: 'notes', changedUpstream: true, serverId: expect.any(String) });
    const changes = notes.body.changes as Change[];
    expect(changes.map((entry) => entry.change)).toEqual(['added', 'changed', 'changed', 'changed', 'approved', 'changed']);
    expect(changes.map((entry) => entry.diff.map((field) => [field.field, field.from, field.to])).slice(1)).toEqual([
      [['description', 'Reads the notes', 'Reads the notes, then something else']],
      [['description', 'Reads the notes, then something else', 'Reads the notes']],
      [['description', 'Reads the notes', 'Reads the notes, approved this time']],
      [],
      [['description', 'Reads the notes, approved this time', 'Reads the notes']],
    ]);
    // Positions grow; the approval names who approved the definition the change before it listed.
    expect(changes.map((entry) => entry.position)).toEqual([...changes.map((entry) => entry.position)].sort((a, b) => a - b));
    expect(changes[4]).toMatchObject({ approvedBy: 'admin', hash: changes[3].hash, actor: 'admin' });
    expect(changes[5].hash).toBe(changes[0].hash);
    // The same positions as the server's own history.
    const events = (await gh.api('GET', '/api/servers/drifting/history')).body.events as { position: number; type: string }[];
    const recorded = new Set(events.filter((event) => event.type === 'ServerToolsDiscovered' || event.type === 'ToolDefinitionApproved').map((event) => event.position));
    expect(changes.every((entry) => recorded.has(entry.position))).toBe(true);

    const sprouted = (await gh.api('GET', '/api/servers/drifting/tools/sprouted/history')).body;
    expect(sprouted).toMatchObject({ name: 'sprouted', changedUpstream: false });
    expect(sprouted.changes.map((entry: Change) => entry.change)).toEqual(['added']);
  });

  it('refuses an unknown server or tool with problem+json', async () => {
    expectProblem(await gh.api('GET', '/api/servers/nope/tools/notes/history'), 404, 'SERVER_NOT_FOUND');
    expectProblem(await gh.api('GET', '/api/servers/drifting/tools/never-listed/history'), 404, 'TOOL_NOT_FOUND');
    expectProblem(await gh.api('GET', `/api/servers/drifting/tools/${'x'.repeat(300)}/history`), 400, 'INVALID_TOOL_NAME');
    expectProblem(await gh.api('GET', `/api/servers/drifting/tools/${encodeURIComponent('<script>')}/history`), 404, 'TOOL_NOT_FOUND');
  });

  it('ends each listed tool\'s history with the server\'s removal, at the ServerRemoved event', async () => {
    const before = (await gh.api('GET', '/api/servers/drifting/tools/notes/history')).body.changes as Change[];
    // A removed server is found by its id (its name may be taken again).
    const id = (await gh.api('GET', '/api/servers/drifting')).body.id as string;
    expect((await gh.api('DELETE', '/api/servers/drifting')).status).toBe(204);
    const removal = ((await gh.api('GET', '/api/events?type=ServerRemoved')).body.events as { position: number }[]).at(-1);
    for (const tool of ['notes', 'drift', 'sprouted']) {
      const history = await gh.api('GET', `/api/servers/${id}/tools/${tool}/history`);
      expect(history.status).toBe(200);
      expect(history.body.changedUpstream).toBe(false);
      expect((history.body.changes as Change[]).at(-1)).toMatchObject({ change: 'removed', reason: 'server_removed', position: removal?.position, actor: 'admin', hash: null, diff: [] });
    }
    const notes = (await gh.api('GET', `/api/servers/${id}/tools/notes/history`)).body.changes as Change[];
    expect(notes.slice(0, -1)).toEqual(before);
  });
});
