import { exposedNames } from '../../domain/profile/exposed-names';
import type { Settings } from '../../domain/settings/events';
import type {
  McpCallToolParams, McpCallToolResult, McpCompleteParams, McpCompleteResult, McpGetPromptParams, McpGetPromptResult,
  McpLoggingLevel, McpPrompt, McpReadResourceResult, McpResource, McpResourceTemplate, McpTool, UpstreamConnection,
  UpstreamRequestOptions, UpstreamSpec,
} from '../upstream';
import type { ListItem, ListKind, ListOutcome, UpstreamCatalog } from './catalog';
import type { ProxyProfile } from './profile-config';
import type { ClientPeer, UpstreamHub } from './upstream-hub';

/** A local error of the proxy, mapped to a JSON-RPC error by the MCP endpoint. */
export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  constructor(
    readonly code: 'UNKNOWN_TOOL' | 'UNKNOWN_PROMPT' | 'UNKNOWN_RESOURCE' | 'PROFILE_GONE',
    message: string,
  ) {
    super(message);
  }
}

export type ProxyDependencies = Readonly<{
  hub: UpstreamHub;
  catalog: UpstreamCatalog;
  /** The profile as configured now, by id (cached; null when it no longer exists). */
  profile: (profileId: string) => ProxyProfile | null;
  settings: () => Settings;
}>;

type Route = Readonly<{ spec: UpstreamSpec; name: string }>;

/** A server's own timeout wins over the gateway-wide request timeout. */
const forServer = (spec: UpstreamSpec, options: UpstreamRequestOptions): UpstreamRequestOptions =>
  spec.timeoutMs === null ? options : { ...options, timeoutMs: spec.timeoutMs };

const templatePrefix = (template: string): string => template.split('{')[0];

/**
 * One downstream session's view of its profile: the merged lists of the active servers, named
 * and filtered by the profile's settings, and every request routed to the server it belongs to.
 */
export class ProfileProxy {
  private toolRoutes = new Map<string, Route>();
  private promptRoutes = new Map<string, Route>();
  private resourceRoutes = new Map<string, UpstreamSpec>();
  private templateRoutes: { prefix: string; spec: UpstreamSpec }[] = [];

  constructor(
    private readonly deps: ProxyDependencies,
    readonly profileId: string,
    private readonly peer: ClientPeer,
  ) {}

  currentProfile(): ProxyProfile {
    const profile = this.deps.profile(this.profileId);
    if (!profile) throw new ProxyError('PROFILE_GONE', 'this profile no longer exists');
    return profile;
  }

  serverIds(): string[] {
    return this.currentProfile().servers.map((spec) => spec.id);
  }

  async listTools(): Promise<McpTool[]> {
    const profile = this.currentProfile();
    const listed = await this.fanOutList('tools', profile);
    const candidates = listed.flatMap(({ spec, items }) =>
      items
        .map((tool) => ({ spec, tool, setting: profile.tools.get(`${spec.id}/${tool.name}`) }))
        .filter(({ setting }) => setting === undefined || setting.status === 'active'),
    );
    const names = exposedNames(
      candidates.map(({ spec, tool, setting }) => ({ serverId: spec.id, serverName: spec.name, toolName: tool.name, overrideName: setting?.name ?? undefined })),
      profile.toolPrefix,
    );
    const routes = new Map<string, Route>();
    const tools: McpTool[] = [];
    for (const { spec, tool, setting } of candidates) {
      const name = names.get(`${spec.id}/${tool.name}`) ?? tool.name;
      if (routes.has(name)) continue; // `never` with a clash: the first server in attach order wins
      routes.set(name, { spec, name: tool.name });
      tools.push({
        ...tool,
        name,
        ...(setting?.title ? { title: setting.title } : {}),
        ...(setting?.description ? { description: setting.description } : {}),
        ...(setting?.annotations ? { annotations: { ...tool.annotations, ...setting.annotations } } : {}),
      });
    }
    this.toolRoutes = routes;
    return tools;
  }

  async callTool(params: McpCallToolParams, options: UpstreamRequestOptions): Promise<McpCallToolResult> {
    let route = this.toolRoutes.get(params.name);
    if (!route) {
      await this.listTools();
      route = this.toolRoutes.get(params.name);
    }
    if (!route) throw new ProxyError('UNKNOWN_TOOL', `Unknown tool: ${params.name}`);
    const target = route;
    return this.send(target.spec, (connection) => connection.callTool({ ...params, name: target.name }, forServer(target.spec, options)));
  }

  async listPrompts(): Promise<McpPrompt[]> {
    const profile = this.currentProfile();
    const listed = await this.fanOutList('prompts', profile);
    const all = listed.flatMap(({ spec, items }) => items.map((prompt) => ({ spec, prompt })));
    const names = exposedNames(all.map(({ spec, prompt }) => ({ serverId: spec.id, serverName: spec.name, toolName: prompt.name })), profile.toolPrefix);
    const routes = new Map<string, Route>();
    const prompts: McpPrompt[] = [];
    for (const { spec, prompt } of all) {
      const name = names.get(`${spec.id}/${prompt.name}`) ?? prompt.name;
      if (routes.has(name)) continue;
      routes.set(name, { spec, name: prompt.name });
      prompts.push({ ...prompt, name });
    }
    this.promptRoutes = routes;
    return prompts;
  }

  async getPrompt(params: McpGetPromptParams, options: UpstreamRequestOptions): Promise<McpGetPromptResult> {
    const route = await this.promptRoute(params.name);
    return this.send(route.spec, (connection) => connection.getPrompt({ ...params, name: route.name }, forServer(route.spec, options)));
  }

  async listResources(): Promise<McpResource[]> {
    const listed = await this.fanOutList('resources', this.currentProfile());
    const routes = new Map<string, UpstreamSpec>();
    const resources: McpResource[] = [];
    for (const { spec, items } of listed) {
      for (const resource of items) {
        if (routes.has(resource.uri)) continue;
        routes.set(resource.uri, spec);
        resources.push(resource);
      }
    }
    this.resourceRoutes = routes;
    return resources;
  }

  async listResourceTemplates(): Promise<McpResourceTemplate[]> {
    const listed = await this.fanOutList('templates', this.currentProfile());
    this.templateRoutes = listed.flatMap(({ spec, items }) => items.map((template) => ({ prefix: templatePrefix(template.uriTemplate), spec })));
    return listed.flatMap(({ items }) => items);
  }

  async readResource(uri: string, options: UpstreamRequestOptions): Promise<McpReadResourceResult> {
    const spec = await this.resourceServer(uri);
    return this.send(spec, (connection) => connection.readResource({ uri }, forServer(spec, options)));
  }

  async subscribe(uri: string, subscribe: boolean, options: UpstreamRequestOptions): Promise<void> {
    const spec = await this.resourceServer(uri);
    await this.send(spec, (connection) => (subscribe ? connection.subscribe(uri, forServer(spec, options)) : connection.unsubscribe(uri, forServer(spec, options))));
  }

  async complete(params: McpCompleteParams, options: UpstreamRequestOptions): Promise<McpCompleteResult> {
    if (params.ref.type === 'ref/prompt') {
      const route = await this.promptRoute(params.ref.name);
      return this.send(route.spec, (connection) => connection.complete({ ...params, ref: { type: 'ref/prompt', name: route.name } }, forServer(route.spec, options)));
    }
    const spec = await this.resourceServer(params.ref.uri);
    return this.send(spec, (connection) => connection.complete(params, forServer(spec, options)));
  }

  /** Sets the level on every server of the profile that supports logging; one failing does not fail the rest. */
  async setLoggingLevel(level: McpLoggingLevel): Promise<void> {
    await Promise.allSettled(
      this.currentProfile().servers.map((spec) => {
        const connection = this.deps.hub.connection(spec, this.peer);
        return connection.serverCapabilities?.logging === undefined ? Promise.resolve() : connection.setLoggingLevel(level);
      }),
    );
  }

  private async promptRoute(name: string): Promise<Route> {
    if (!this.promptRoutes.has(name)) await this.listPrompts();
    const route = this.promptRoutes.get(name);
    if (!route) throw new ProxyError('UNKNOWN_PROMPT', `Unknown prompt: ${name}`);
    return route;
  }

  private async resourceServer(uri: string): Promise<UpstreamSpec> {
    const find = (): UpstreamSpec | undefined =>
      this.resourceRoutes.get(uri) ??
      [...this.templateRoutes].sort((a, b) => b.prefix.length - a.prefix.length).find((route) => route.prefix !== '' && uri.startsWith(route.prefix))?.spec;
    let spec = find();
    if (!spec) {
      await Promise.all([this.listResources(), this.listResourceTemplates()]);
      spec = find();
    }
    const servers = this.currentProfile().servers;
    if (!spec && servers.length === 1) spec = servers[0];
    if (!spec || !servers.some((server) => server.id === spec?.id)) throw new ProxyError('UNKNOWN_RESOURCE', `Resource not found: ${uri}`);
    return spec;
  }

  private async send<T>(spec: UpstreamSpec, request: (connection: UpstreamConnection) => Promise<T>): Promise<T> {
    const done = this.deps.hub.begin(spec.id, this.peer);
    try {
      return await request(this.deps.hub.connection(spec, this.peer));
    } finally {
      done();
    }
  }

  private async fanOutList<K extends ListKind>(kind: K, profile: ProxyProfile): Promise<{ spec: UpstreamSpec; items: ListItem[K][] }[]> {
    const deadline = this.deps.settings().connectTimeoutMs;
    const outcomes: ListOutcome<K>[] = await Promise.all(
      profile.servers.map((spec) => this.deps.catalog.list(kind, spec, this.deps.hub.connection(spec, this.peer), deadline)),
    );
    return outcomes.flatMap((outcome) => (outcome.items === null ? [] : [{ spec: outcome.spec, items: outcome.items }]));
  }
}
