import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { fixtureServer, stdioSpec, textOf } from '../../../test/fixtures/upstream-fixtures';
import { buildChildEnvironment } from './child-env';
import { ChildProcessRegistry, UpstreamSupervisor } from '.';
import { StderrTail } from './stderr-tail';
import { ProcessGroupStdioTransport } from './stdio-transport';

/** burst-server writes three progress notifications and the result in one write. */
const BURST = fixtureServer('burst-server.js');

describe('messages that arrive in one chunk', () => {
  it('reach the SDK client in an order that keeps the progress (it settles answers before running notification handlers)', async () => {
    const transport = new ProcessGroupStdioTransport({
      serverId: 'burst',
      command: process.execPath,
      args: [BURST],
      env: buildChildEnvironment({}),
      cwd: null,
      stderrTail: new StderrTail(),
      processes: new ChildProcessRegistry(),
    });
    const client = new Client({ name: 'test', version: '1' }, { capabilities: {} });
    try {
      await client.connect(transport);
      const progress: number[] = [];
      const result = await client.request({ method: 'tools/call', params: { name: 'burst' } }, CallToolResultSchema, {
        onprogress: (update) => progress.push(update.progress),
      });
      expect(result.content).toEqual([{ type: 'text', text: 'done' }]);
      expect(progress).toEqual([1, 2, 3]);
    } finally {
      await client.close();
      await transport.close();
    }
  });

  it('keep the progress through the gateway connection too', async () => {
    const supervisor = new UpstreamSupervisor(stdioSpec(BURST));
    try {
      const progress: number[] = [];
      const result = await supervisor.callTool({ name: 'burst', arguments: {} }, { onprogress: (update) => progress.push(update.progress) });
      expect(textOf(result)).toBe('done');
      expect(progress).toEqual([1, 2, 3]);
    } finally {
      await supervisor.close();
    }
  });
});
