import { exposedNames, fitName, PREFIX_SEPARATOR } from '../../domain/profile/exposed-names';
import type { Settings } from '../../domain/settings/events';
import type {
  McpCallToolParams, McpCallToolResult, McpCompleteParams, McpCompleteResult, McpGetPromptParams, McpGetPromptResult,
  McpLoggingLevel, McpPrompt, McpReadResourceResult, McpResource, McpResourceTemplate, McpTool, UpstreamConnection,
  UpstreamErrorCode, UpstreamRequestOptions, UpstreamSpec,
} from '../upstream';
import { isResendable, isUpstreamError } from '../upstream';
import type { ListItem, ListKind, ListOutcome, UpstreamCatalog } from './catalog';
import type { ProxyProfile } from './profile-config';
import type { ProfileDirectory } from './profile-directory';
import { CALL_TOOL, GATEWAY_TOOLS, UNAVAILABLE_META, parseCallArguments, parseSearchArguments, SEARCH_TOOLS, searchResult, toolError } from './gateway-tools';
import { ToolSearchIndex } from './tool-search';
import { awaitingApprovalResult, pinOf } from './tool-pins';
import type { PinStatus } from '../../domain/server/pinning';
import type { ClientPeer, UpstreamHub } from './upstream-hub';
import { errorMessage } from '../../domain/shared';

/** A local error of the proxy, mapped to a JSON-RPC error by the MCP endpoint. */
export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  constructor(
    /** LIST_UNAVAILABLE: a name not found while a server that may hold it could not list (the gateway's side, not the client's). */
    readonly code: 'UNKNOWN_TOOL' | 'UNKNOWN_PROMPT' | 'UNKNOWN_RESOURCE' | 'PROFILE_GONE' | 'SERVER_GONE' | 'LIST_UNAVAILABLE',
    message: string,
  ) {
    super(message);
  }
}

/** A server whose list failed, and why. */
type Unlisted = Readonly<{ spec: UpstreamSpec; error: unknown }>;

const unlistedError = (what: string, unreachable: readonly Unlisted[]): ProxyError =>
  new ProxyError(
    'LIST_UNAVAILABLE',
    `${what} was not found, and it may belong to a server that cannot be reached now: ${unreachable
      .map(({ spec, error }) => `"${spec.name}" (${errorMessage(error)})`)
      .join(', ')}`,
  );

export type ProxyDependencies = Readonly<{
  hub: UpstreamHub;
  catalog: UpstreamCatalog;
  /** The profiles as configured now (snapshots, kept fresh by the committed events). */
  profiles: ProfileDirectory;
  settings: () => Settings;
}>;

type Route = Readonly<{ spec: UpstreamSpec; name: string }>;

/** Failures that mean "the server cannot be reached now", as opposed to its own answer or a slow tool. */
const UNREACHABLE: ReadonlySet<UpstreamErrorCode> = new Set<UpstreamErrorCode>([
  'UPSTREAM_UNAVAILABLE', 'UPSTREAM_CLOSED', 'UPSTREAM_AT_CAPACITY', 'UPSTREAM_SESSION_EXPIRED', 'UPSTREAM_MISCONFIGURED', 'UPSTREAM_NO_CREDENTIALS',
]);

/**
 * A call to a tool whose server cannot be reached is answered as a tool error: the model reads
 * it (which server, and why) and can tell the user, where a protocol error would only say the
 * call failed. `reason` is the upstream error's message, which names the server.
 */
const unavailableResult = (tool: string, reason: string, server: string): McpCallToolResult => ({
  content: [{ type: 'text', text: `The tool "${tool}" cannot run now: ${reason.replace(/^upstream "([^"]*)": /, 'its server "$1" is unavailable: ')}` }],
  isError: true,
  _meta: { [UNAVAILABLE_META]: { server } },
});

/**
 * Search indexes, one per profile snapshot, shared by its sessions and rebuilt when the lists
 * they were built from change (the catalog keeps a list's array until the upstream's changes).
 */
const searchIndexes = new WeakMap<ProxyProfile, { lists: readonly unknown[]; index: ToolSearchIndex }>();

const sameLists = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((list, i) => list === b[i]);

/**
 * Request options as the downstream session builds them. `onRoute` learns which server a
 * request was routed to (debug logs, metrics); it stops here and never reaches the upstream.
 */
export type RoutedRequestOptions = UpstreamRequestOptions & {
  onRoute?: (server: Pick<UpstreamSpec, 'id' | 'name'>) => void;
  /** The downstream request this one serves: what the upstream asks meanwhile goes with its answer. */
  downstreamRequestId?: string | number;
};

/** A server's own timeout wins over the gateway-wide request timeout. */
const forServer = (spec: UpstreamSpec, { onRoute, downstreamRequestId: _related, ...options }: RoutedRequestOptions): UpstreamRequestOptions => {
  onRoute?.(spec);
  return spec.timeoutMs === null ? options : { ...options, timeoutMs: spec.timeoutMs };
};

const templatePrefix = (template: string): string => template.split('{')[0];

/** Settles when `work` does or after `ms`, whichever is first (the work goes on regardless). */
const withDeadline = (work: Promise<unknown>, ms: number): Promise<unknown> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
};

/**
 * One downstream session's view of its profile: the merged lists of the active servers, named
 * and filtered by the profile's settings, and every request routed to the server it belongs to.
 */
export class ProfileProxy {
  /**
   * Routes are built from one profile snapshot and used while it is the current one: a snapshot
   * holds everything that decides exposed names and what is callable, so a tool made inactive
   * or renamed stops answering at once, not only after the client lists again.
   */
  private toolRoutes = new Map<string, Route>();
  /** Tools the last list held back for tool pinning, by exposed name (a call says why). */
  private heldBack = new Map<string, Route & { status: Exclude<PinStatus, 'approved'> }>();
  private toolRoutesOf?: ProxyProfile;
  private promptRoutes = new Map<string, Route>();
  private promptRoutesOf?: ProxyProfile;
  private resourceRoutes = new Map<string, UpstreamSpec>();
  private templateRoutes: { prefix: string; spec: UpstreamSpec }[] = [];
  /** The servers whose last prompts (resources, templates) list failed: a name not found may be theirs. */
  private unlisted: Readonly<Record<'prompts' | 'resources' | 'templates', readonly Unlisted[]>> = { prompts: [], resources: [], templates: [] };
  /** Exposed names an adaptive session's searches found, least recent first. */
  private readonly found = new Set<string>();
  /** The servers the last list of tools had to leave out, and why. */
  private toolsUnreachable: readonly Unlisted[] = [];

  constructor(
    private readonly deps: ProxyDependencies,
    readonly profileId: string,
    private readonly peer: ClientPeer,
  ) {}

  /** The snapshot the last request was served with (null once the profile is gone). */
  lastSeen: ProxyProfile | null = null;

  /** The profile as configured now. */
  async currentProfile(): Promise<ProxyProfile> {
    const profile = await this.deps.profiles.byId(this.profileId);
    this.lastSeen = profile;
    if (!profile) throw new ProxyError('PROFILE_GONE', 'this profile no longer exists');
    return profile;
  }

  async listTools(): Promise<McpTool[]> {
    const profile = await this.currentProfile();
    // What a session found belongs to one stretch of adaptive exposure: another mode forgets it.
    if (profile.toolExposure !== 'adaptive') this.found.clear();
    if (profile.toolExposure === 'all') return this.listToolsOf(profile);
    if (profile.toolExposure === 'search' || this.found.size === 0) return [...GATEWAY_TOOLS];
    // adaptive: the tools this session found that the profile still exposes, the most recent
    // adaptiveToolLimit of them (the limit may have been lowered since), most recent last.
    const exposed = new Map((await this.listToolsOf(profile)).map((tool) => [tool.name, tool]));
    return [...GATEWAY_TOOLS, ...[...this.found].slice(-profile.adaptiveToolLimit).flatMap((name) => exposed.get(name) ?? [])];
  }

  private async listToolsOf(profile: ProxyProfile, listing?: readonly ListOutcome<'tools'>[]): Promise<McpTool[]> {
    const outcomes = listing ?? (await this.fanOut('tools', profile));
    this.toolsUnreachable = unlistedOf(outcomes);
    const listed = listedOf(outcomes);
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
    const heldBack = new Map<string, Route & { status: Exclude<PinStatus, 'approved'> }>();
    const tools: McpTool[] = [];
    for (const { spec, tool, setting } of candidates) {
      const name = names.get(`${spec.id}/${tool.name}`) ?? tool.name;
      if (routes.has(name) || heldBack.has(name)) continue; // `never` with a clash: the first server in attach order wins
      const status = pinOf(profile.pins.get(spec.id), tool);
      if (status !== 'approved') {
        heldBack.set(name, { spec, name: tool.name, status });
        continue;
      }
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
    this.heldBack = heldBack;
    this.toolRoutesOf = profile;
    return tools;
  }

  async callTool(params: McpCallToolParams, options: UpstreamRequestOptions): Promise<McpCallToolResult> {
    const profile = await this.currentProfile();
    if (profile.toolExposure !== 'all') {
      if (params.name === SEARCH_TOOLS) return this.searchTools(profile, params.arguments);
      if (params.name === CALL_TOOL) return this.callThrough(profile, params, options);
    }
    return this.callToolOf(profile, params, options);
  }

  /** `search_tools`: the profile's exposed tools that best match the query. */
  private async searchTools(profile: ProxyProfile, args: unknown): Promise<McpCallToolResult> {
    const parsed = parseSearchArguments(args);
    if ('problem' in parsed) return toolError(parsed.problem);
    // The lists are the catalog's (cheap when cached); the exposed tools are worked out again
    // only when they changed, which with thousands of tools costs more than the search.
    const outcomes = await this.fanOut('tools', profile);
    const lists = listedOf(outcomes).map(({ items }) => items);
    let cached = searchIndexes.get(profile);
    if (!cached || !sameLists(cached.lists, lists)) {
      const tools = await this.listToolsOf(profile, outcomes);
      const routes = this.toolRoutes;
      cached = { lists, index: new ToolSearchIndex(tools, (tool) => routes.get(tool.name)?.spec.name ?? '') };
      searchIndexes.set(profile, cached);
    }
    const found = cached.index.search(parsed.query, parsed.limit);
    if (profile.toolExposure === 'adaptive') this.remember(found.map((tool) => tool.name), profile.adaptiveToolLimit);
    return searchResult(found);
  }

  /**
   * Adds what an adaptive session's search found to its `tools/list`, the most recent `limit`
   * kept, and tells the client when the list changed.
   */
  private remember(names: readonly string[], limit: number): void {
    const before = [...this.found].sort().join('\n');
    for (const name of [...names].reverse()) {
      this.found.delete(name);
      this.found.add(name);
    }
    for (const name of this.found) {
      if (this.found.size <= limit) break;
      this.found.delete(name);
    }
    if ([...this.found].sort().join('\n') !== before) this.peer.listsChanged({ tools: true });
  }

  /** `call_tool`: a call of an exposed tool by name, as if the client had called it directly. */
  private async callThrough(profile: ProxyProfile, params: McpCallToolParams, options: UpstreamRequestOptions): Promise<McpCallToolResult> {
    const parsed = parseCallArguments(params.arguments);
    if ('problem' in parsed) return toolError(parsed.problem);
    try {
      return await this.callToolOf(profile, { ...params, name: parsed.name, arguments: parsed.arguments }, options);
    } catch (error) {
      if (error instanceof ProxyError && error.code === 'UNKNOWN_TOOL') {
        return toolError(`This profile has no tool "${parsed.name}": ${SEARCH_TOOLS} gives the names of those it has`);
      }
      throw error;
    }
  }

  private async callToolOf(profile: ProxyProfile, params: McpCallToolParams, options: UpstreamRequestOptions): Promise<McpCallToolResult> {
    let route = this.toolRoutesOf === profile ? this.toolRoutes.get(params.name) : undefined;
    if (!route) {
      await this.listToolsOf(profile);
      route = this.toolRoutes.get(params.name);
    }
    const held = route ? undefined : this.heldBack.get(params.name);
    if (held) return awaitingApprovalResult(params.name, held.spec.name, held.name, held.status);
    if (!route) {
      const owner = this.unreachableOwner(profile, params.name);
      if (owner) return unavailableResult(params.name, owner.error instanceof Error ? owner.error.message : `upstream "${owner.spec.name}": ${String(owner.error)}`, owner.spec.name);
      throw new ProxyError('UNKNOWN_TOOL', `Unknown tool: ${params.name}`);
    }
    const target = route;
    const pin = await this.pinNow(profile, target);
    if (pin !== 'approved') return awaitingApprovalResult(params.name, target.spec.name, target.name, pin);
    try {
      const result = await this.send(profile, target.spec, options, (connection, routed) => connection.callTool({ ...params, name: target.name }, routed));
      // The gateway's own marker is the gateway's to set: an upstream cannot pass for unavailable.
      if (result._meta !== undefined && UNAVAILABLE_META in result._meta) {
        const { [UNAVAILABLE_META]: _spoofed, ...meta } = result._meta;
        return { ...result, _meta: meta };
      }
      return result;
    } catch (error) {
      if (isUpstreamError(error) && UNREACHABLE.has(error.code)) return unavailableResult(params.name, error.message, target.spec.name);
      throw error;
    }
  }

  /**
   * What pinning makes of a routed tool as its server lists it now: a route outlives an upstream
   * list_changed until the client lists again, and a definition that changed meanwhile must not
   * be callable. The catalog answers from its cache unless the list changed.
   */
  private async pinNow(profile: ProxyProfile, route: Route): Promise<PinStatus> {
    const pins = profile.pins.get(route.spec.id);
    if (pins === undefined || pins.mode === 'off') return 'approved';
    const outcome = await this.listOf('tools', route.spec, this.deps.settings().connectTimeoutMs);
    const tool = (outcome.items ?? this.deps.catalog.lastKnownTools(route.spec.id)).find((item) => item.name === route.name);
    return tool === undefined ? 'approved' : pinOf(pins, tool);
  }

  /**
   * The server a tool name would belong to among those the last list left out: one whose tools,
   * as it last listed them, include a tool exposed under that name (its override, its own name
   * or the prefixed one), or, for a server never listed, a name with its prefix.
   */
  private unreachableOwner(profile: ProxyProfile, name: string): { spec: UpstreamSpec; error: unknown } | undefined {
    return this.toolsUnreachable.find(({ spec }) => {
      const prefixed = (tool: string): string => fitName(`${spec.name}${PREFIX_SEPARATOR}${tool}`);
      const known = this.deps.catalog.lastKnownTools(spec.id);
      if (known.length === 0) return name.startsWith(`${spec.name}${PREFIX_SEPARATOR}`);
      return known.some((tool) => {
        const setting = profile.tools.get(`${spec.id}/${tool.name}`);
        if (setting !== undefined && setting.status !== 'active') return false;
        return [setting?.name ?? undefined, tool.name, prefixed(tool.name)].includes(name);
      });
    });
  }

  async listPrompts(): Promise<McpPrompt[]> {
    return this.listPromptsOf(await this.currentProfile());
  }

  private async listPromptsOf(profile: ProxyProfile): Promise<McpPrompt[]> {
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
    this.promptRoutesOf = profile;
    return prompts;
  }

  async getPrompt(params: McpGetPromptParams, options: UpstreamRequestOptions): Promise<McpGetPromptResult> {
    const profile = await this.currentProfile();
    const route = await this.promptRoute(profile, params.name);
    return this.send(profile, route.spec, options, (connection, routed) => connection.getPrompt({ ...params, name: route.name }, routed));
  }

  async listResources(): Promise<McpResource[]> {
    return this.listResourcesOf(await this.currentProfile());
  }

  private async listResourcesOf(profile: ProxyProfile): Promise<McpResource[]> {
    const listed = await this.fanOutList('resources', profile);
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
    return this.listResourceTemplatesOf(await this.currentProfile());
  }

  private async listResourceTemplatesOf(profile: ProxyProfile): Promise<McpResourceTemplate[]> {
    const listed = await this.fanOutList('templates', profile);
    this.templateRoutes = listed.flatMap(({ spec, items }) => items.map((template) => ({ prefix: templatePrefix(template.uriTemplate), spec })));
    return listed.flatMap(({ items }) => items);
  }

  /** `extra`: params besides the URI that go on as sent (a 2026 retry's inputResponses and requestState). */
  async readResource(uri: string, options: UpstreamRequestOptions, extra: Record<string, unknown> = {}): Promise<McpReadResourceResult> {
    const profile = await this.currentProfile();
    const spec = await this.resourceServer(profile, uri);
    return this.send(profile, spec, options, (connection, routed) => connection.readResource({ ...extra, uri }, routed));
  }

  async subscribe(uri: string, subscribe: boolean, options: UpstreamRequestOptions): Promise<void> {
    const profile = await this.currentProfile();
    const spec = await this.resourceServer(profile, uri);
    const hub = this.deps.hub;
    await this.send(profile, spec, options, (connection, routed) =>
      subscribe ? hub.subscribe(connection, uri, this.peer, routed) : hub.unsubscribe(connection, uri, this.peer, routed),
    );
  }

  async complete(params: McpCompleteParams, options: UpstreamRequestOptions): Promise<McpCompleteResult> {
    const profile = await this.currentProfile();
    if (params.ref.type === 'ref/prompt') {
      const route = await this.promptRoute(profile, params.ref.name);
      return this.send(profile, route.spec, options, (connection, routed) => connection.complete({ ...params, ref: { type: 'ref/prompt', name: route.name } }, routed));
    }
    const spec = await this.resourceServer(profile, params.ref.uri);
    return this.send(profile, spec, options, (connection, routed) => connection.complete(params, routed));
  }

  /**
   * Sets the level on every server of the profile that supports logging; one failing does not
   * fail the rest, and a slow one is not waited for beyond the connect timeout (fail-open). A
   * server not connected yet is connected by the request: its capabilities are unknown until then.
   */
  async setLoggingLevel(level: McpLoggingLevel, options: UpstreamRequestOptions = {}): Promise<void> {
    const deadlineMs = this.deps.settings().connectTimeoutMs;
    const profile = await this.currentProfile();
    await Promise.allSettled(
      // async: a server this session cannot reach (no credentials of its user) fails alone.
      profile.servers.map(async (spec) => {
        const connection = this.deps.hub.connection(spec, this.peer);
        const capabilities = connection.serverCapabilities;
        if (capabilities !== undefined && capabilities.logging === undefined) return Promise.resolve();
        return withDeadline(this.send(profile, spec, options, (target, routed) => target.setLoggingLevel(level, routed)), deadlineMs);
      }),
    );
  }

  /** Tells every server of the profile that the client's roots changed. */
  async rootsChanged(): Promise<void> {
    const profile = await this.currentProfile();
    await Promise.allSettled(profile.servers.map(async (spec) => this.deps.hub.connection(spec, this.peer).notifyRootsListChanged()));
  }

  /** Whether the profile (as configured now) uses the server: its notices concern this session. */
  async usesServer(serverId: string): Promise<boolean> {
    const profile = await this.deps.profiles.byId(this.profileId);
    return profile !== null && profile.servers.some((spec) => spec.id === serverId);
  }

  private async promptRoute(profile: ProxyProfile, name: string): Promise<Route> {
    if (!this.promptRoutes.has(name) || this.promptRoutesOf !== profile) await this.listPromptsOf(profile);
    const route = this.promptRoutes.get(name);
    if (route) return route;
    // A name with an unreachable server's prefix may be its prompt. Without one: when every name
    // is prefixed (toolPrefix "always"), or the name has a reachable server's prefix, it is no
    // unreachable server's; otherwise (names kept as they are) any server that could not list may hold it.
    const prefixed = (spec: UpstreamSpec): boolean => name.startsWith(`${spec.name}${PREFIX_SEPARATOR}`);
    const owners = this.unlisted.prompts.filter(({ spec }) => prefixed(spec));
    const unreachable = owners.length > 0 || profile.toolPrefix === 'always' || profile.servers.some(prefixed) ? owners : this.unlisted.prompts;
    if (unreachable.length > 0) throw unlistedError(`Prompt "${name}"`, unreachable);
    throw new ProxyError('UNKNOWN_PROMPT', `Unknown prompt: ${name}`);
  }

  private async resourceServer(profile: ProxyProfile, uri: string): Promise<UpstreamSpec> {
    const find = (): UpstreamSpec | undefined =>
      this.resourceRoutes.get(uri) ??
      [...this.templateRoutes].sort((a, b) => b.prefix.length - a.prefix.length).find((route) => route.prefix !== '' && uri.startsWith(route.prefix))?.spec;
    let spec = find();
    if (!spec) {
      await Promise.all([this.listResourcesOf(profile), this.listResourceTemplatesOf(profile)]);
      spec = find();
    }
    const servers = profile.servers;
    if (!spec && servers.length === 1) spec = servers[0];
    if (!spec) {
      const unreachable = [...this.unlisted.resources, ...this.unlisted.templates.filter(({ spec: failed }) => !this.unlisted.resources.some(({ spec: seen }) => seen.id === failed.id))];
      if (unreachable.length > 0) throw unlistedError(`Resource ${uri}`, unreachable);
    }
    if (!spec || !servers.some((server) => server.id === spec?.id)) throw new ProxyError('UNKNOWN_RESOURCE', `Resource not found: ${uri}`);
    return spec;
  }

  /**
   * Sends to the server a route points at, with its configuration in the snapshot the request
   * began with: a route kept from an older snapshot would undo a reconfiguration (the pool
   * applies whatever spec it is handed) or revive a server that left the profile.
   */
  private async send<T>(
    profile: ProxyProfile,
    spec: UpstreamSpec,
    options: RoutedRequestOptions,
    request: (connection: UpstreamConnection, routed: UpstreamRequestOptions) => Promise<T>,
  ): Promise<T> {
    const current = profile.servers.find((server) => server.id === spec.id);
    if (!current) throw new ProxyError('SERVER_GONE', `upstream "${spec.name}" is no longer part of this profile`);
    const { call, done } = this.deps.hub.begin(current.id, this.peer, options.downstreamRequestId);
    try {
      const routed = { ...forServer(current, options), call };
      return await this.deps.hub.request(current, this.peer, (connection) => request(connection, routed));
    } finally {
      done();
    }
  }

  private async fanOutList<K extends Exclude<ListKind, 'tools'>>(kind: K, profile: ProxyProfile): Promise<{ spec: UpstreamSpec; items: ListItem[K][] }[]> {
    const outcomes = await this.fanOut(kind, profile);
    // An upstream that answered the list with an error (say, no templates: Method not found) was reached: only the others may hold a name.
    this.unlisted = { ...this.unlisted, [kind]: unlistedOf(outcomes).filter(({ error }) => !isUpstreamError(error, 'UPSTREAM_RPC_ERROR')) };
    return listedOf(outcomes);
  }

  /** Every attached server's list, each waited for at most until the connect deadline. */
  private fanOut<K extends ListKind>(kind: K, profile: ProxyProfile): Promise<ListOutcome<K>[]> {
    const deadline = this.deps.settings().connectTimeoutMs;
    return Promise.all(profile.servers.map((spec) => this.listOf(kind, spec, deadline)));
  }

  /**
   * One server's list as this session gets it. A per-user server's lists are its user's own
   * (cached per user: another user's credentials may show other things); a server the session
   * cannot reach at all (no credentials of its user) is an outcome with its error, not a throw.
   */
  private async listOf<K extends ListKind>(kind: K, spec: UpstreamSpec, deadline: number): Promise<ListOutcome<K>> {
    const audience = spec.credentials === 'per_user' ? (this.peer.userId ?? undefined) : undefined;
    try {
      // A list that waited for a user's connection replaced meanwhile is asked again on the new one.
      return await this.deps.hub.request(spec, this.peer, async (connection) => {
        const outcome = await this.deps.catalog.list(kind, spec, connection, deadline, audience);
        if (outcome.items === null && isResendable(outcome.error)) throw outcome.error;
        return outcome;
      });
    } catch (error) {
      return { spec, items: null, error };
    }
  }
}

/** The lists that came back; fail-open: a server that did not answer is left out. */
const listedOf = <K extends ListKind>(outcomes: readonly ListOutcome<K>[]): { spec: UpstreamSpec; items: ListItem[K][] }[] =>
  outcomes.flatMap((outcome) => (outcome.items === null ? [] : [{ spec: outcome.spec, items: outcome.items }]));

/** The servers whose list failed, and why: the other half of listedOf. */
const unlistedOf = (outcomes: readonly ListOutcome<ListKind>[]): Unlisted[] =>
  outcomes.flatMap((outcome) => (outcome.items === null ? [{ spec: outcome.spec, error: outcome.error }] : []));
