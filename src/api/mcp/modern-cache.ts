/**
 * Cache hints (MCP 2026-07-28, SEP-2549) on what the gateway aggregates: a list or read result
 * may be cached for the smallest `ttlMs` of the upstreams that contributed to it, and is
 * `private` when any part is (an upstream said so, a connection of the client's own, or a
 * profile whose keys see different things). An upstream that gave no hint (every 2025-11-25
 * server) promises nothing: it counts as `ttlMs: 0`. Pure.
 */
export type CacheScope = 'public' | 'private';
export type CacheHint = Readonly<{ ttlMs: number; cacheScope: CacheScope }>;

/** What one upstream said about its part, or undefined when it gave no hint. */
export type PartHint = Readonly<{ ttlMs?: number; cacheScope?: CacheScope; perClient?: boolean }> | undefined;

/** No upstream contributed (an empty profile): nothing to go stale, but nothing promised either. */
const NOTHING: CacheHint = { ttlMs: 0, cacheScope: 'public' };

const validTtl = (ttl: unknown): number => (typeof ttl === 'number' && Number.isFinite(ttl) && ttl >= 0 ? Math.floor(ttl) : 0);

export const mergeCacheHints = (parts: readonly PartHint[], options: Readonly<{ perKey?: boolean }> = {}): CacheHint => {
  if (parts.length === 0) return { ...NOTHING, cacheScope: options.perKey ? 'private' : 'public' };
  const ttlMs = Math.min(...parts.map((part) => validTtl(part?.ttlMs)));
  const isPrivate = options.perKey === true || parts.some((part) => part?.cacheScope === 'private' || part?.perClient === true);
  return { ttlMs, cacheScope: isPrivate ? 'private' : 'public' };
};

/** Tools by exposed name, so that one profile lists the same bytes whatever order its upstreams answered in. */
export const inNameOrder = <T extends { name: string }>(items: readonly T[]): T[] => [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
