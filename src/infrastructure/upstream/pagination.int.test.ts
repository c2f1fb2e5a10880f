import { fixtureServer, stdioSpec } from '../../../test/fixtures/upstream-fixtures';
import { UpstreamSupervisor } from '.';

describe('an upstream that pages its lists', () => {
  const supervisor = new UpstreamSupervisor(stdioSpec(fixtureServer('paged-server.js')));

  afterAll(() => supervisor.close());

  it('collects every page of tools, prompts, resources and templates', async () => {
    const [tools, prompts, resources, templates] = await Promise.all([
      supervisor.listTools(),
      supervisor.listPrompts(),
      supervisor.listResources(),
      supervisor.listResourceTemplates(),
    ]);

    expect(tools.map((tool) => tool.name)).toEqual(['tool_1', 'tool_2', 'tool_3', 'tool_4', 'tool_5']);
    expect(prompts).toHaveLength(5);
    expect(resources.map((resource) => resource.uri)).toEqual([1, 2, 3, 4, 5].map((n) => `paged://resource/${n}`));
    expect(templates).toHaveLength(5);
  });

  it('returns a single page as is through the generic request', async () => {
    const page = await supervisor.request('tools/list', { cursor: '4' });

    expect(page).toEqual({ tools: [expect.objectContaining({ name: 'tool_5' })] });
  });
});
