import type { McpPrompt, McpResource, McpResourceTemplate, McpTool, UpstreamConnection, UpstreamSpec } from '../upstream';

export type ListKind = 'tools' | 'prompts' | 'resources' | 'templates';

export type ListItem = { tools: McpTool; prompts: McpPrompt; resources: McpResource; templates: McpResourceTemplate };

type Entry<K extends ListKind> = {
  items?: ListItem[K][];
  /** A fetch under way; callers past their deadline leave it running in the background. */
  pending?: Promise<ListItem[K][]>;
  pendingSince: number;
  /**
   * A list request gave up waiting for this server, and no fetch has answered since: its next
   * fetches (a reconnect of a hung server, say) run in the background without being waited for.
   */
  missedDeadline: boolean;
  /** Bumped on invalidation, so a fetch that started before a list_changed is not cached. */
  generation: number;
};

/** A server that does not offer a capability has an empty list of it, not a failing one. */
const unlessMissing =
  <T>(capability: 'tools' | 'prompts' | 'resources', fetch: (connection: UpstreamConnection) => Promise<T[]>) =>
  async (connection: UpstreamConnection): Promise<T[]> => {
    try {
      return await fetch(connection);
    } catch (error) {
      if (connection.serverCapabilities !== undefined && connection.serverCapabilities[capability] === undefined) return [];
      throw error;
    }
  };

const fetchers: { [K in ListKind]: (connection: UpstreamConnection) => Promise<ListItem[K][]> } = {
  tools: unlessMissing('tools', (connection) => connection.listTools()),
  prompts: unlessMissing('prompts', (connection) => connection.listPrompts()),
  resources: unlessMissing('resources', (connection) => connection.listResources()),
  templates: unlessMissing('resources', (connection) => connection.listResourceTemplates()),
};

export type ListOutcome<K extends ListKind> = Readonly<
  { spec: UpstreamSpec; items: ListItem[K][] } | { spec: UpstreamSpec; items: null; error: unknown }
>;

/**
 * The upstreams' lists, cached per server until the upstream says they changed (or the
 * connection is replaced). A list request waits for each server at most until its deadline:
 * a hung server is left behind with its fetch running in the background, and the next lists
 * answer at once with what the others have, also while it reconnects, until it answers again.
 * Fail-open: one server never empties a list.
 */
export class UpstreamCatalog {
  private readonly entries = new Map<string, Entry<ListKind>>();
  /** Each server's last list of tools, kept across invalidations: what it offered when it was last reachable. */
  private readonly lastTools = new Map<string, readonly McpTool[]>();
  /** The per-audience entry keys of each `<serverId>/<kind>`, so that an invalidation reaches them all. */
  private readonly audiences = new Map<string, Set<string>>();

  constructor(private readonly onFetched?: <K extends ListKind>(spec: UpstreamSpec, kind: K, items: ListItem[K][]) => void) {}

  /** `audience`: the lists are one user's own (a per-user server), cached apart from everyone else's. */
  async list<K extends ListKind>(kind: K, spec: UpstreamSpec, connection: UpstreamConnection, deadlineMs: number, audience?: string): Promise<ListOutcome<K>> {
    const entry = this.entry<K>(spec.id, kind, audience);
    if (entry.items) return { spec, items: entry.items };
    if (!entry.pending) {
      const generation = entry.generation;
      const fetch = fetchers[kind](connection) as Promise<ListItem[K][]>;
      entry.pending = fetch;
      entry.pendingSince = Date.now();
      fetch.then(
        (items) => {
          if (entry.pending === fetch) entry.pending = undefined;
          entry.missedDeadline = false;
          if (entry.generation === generation) entry.items = items;
          if (kind === 'tools') this.lastTools.set(spec.id, items as McpTool[]);
          this.onFetched?.(spec, kind, items);
        },
        () => {
          if (entry.pending === fetch) entry.pending = undefined;
        },
      );
    }
    const pending = entry.pending;
    // A server that already missed a deadline, with this fetch or one before it that never
    // answered, is not waited for again until it answers.
    const waitMs = entry.missedDeadline ? 0 : Math.max(0, Math.min(deadlineMs, entry.pendingSince + deadlineMs - Date.now()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), waitMs);
    });
    try {
      const result = await Promise.race([pending, deadline]);
      if (result === 'deadline') {
        entry.missedDeadline = true;
        return { spec, items: null, error: new Error(`upstream "${spec.name}" did not list its ${kind} within ${deadlineMs} ms`) };
      }
      return { spec, items: result };
    } catch (error) {
      return { spec, items: null, error };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The tools the server listed when it was last reachable (in this process), or none. */
  lastKnownTools(serverId: string): readonly McpTool[] {
    return this.lastTools.get(serverId) ?? [];
  }

  /** True while a fetch for this server is still running past an earlier deadline. */
  isPending(serverId: string, kind: ListKind): boolean {
    return this.entries.get(`${serverId}/${kind}`)?.pending !== undefined;
  }

  /** Forgets the server's lists of those kinds, every audience's. */
  invalidate(serverId: string, kinds: readonly ListKind[] = ['tools', 'prompts', 'resources', 'templates']): void {
    for (const kind of kinds) {
      const key = `${serverId}/${kind}`;
      for (const entryKey of [key, ...(this.audiences.get(key) ?? [])]) {
        const entry = this.entries.get(entryKey);
        if (!entry) continue;
        entry.items = undefined;
        entry.generation += 1;
      }
    }
  }

  private entry<K extends ListKind>(serverId: string, kind: K, audience?: string): Entry<K> {
    const base = `${serverId}/${kind}`;
    const key = audience === undefined ? base : `${base}/${audience}`;
    let entry = this.entries.get(key) as Entry<K> | undefined;
    if (!entry) {
      if (audience !== undefined) this.audiences.set(base, (this.audiences.get(base) ?? new Set()).add(key));
      entry = { generation: 0, pendingSince: 0, missedDeadline: false };
      this.entries.set(key, entry as Entry<ListKind>);
    }
    return entry;
  }
}
