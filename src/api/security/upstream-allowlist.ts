import type { Sql } from '../../infrastructure/eventstore';
import { isHostAllowed } from '../../infrastructure/upstream/host-allowlist';

const admitted = (url: string, allowedHosts: readonly string[]): boolean => {
  try {
    return isHostAllowed(new URL(url), allowedHosts);
  } catch {
    return false;
  }
};

/**
 * Active servers that a change of settings.upstreamAllowedHosts lets in or shuts out. Their
 * connections are dropped when the settings change: one now outside the list loses its live
 * session at once, and one let back in reconnects now instead of after the backoff its
 * refused connects had built up.
 */
export const serversWithChangedAdmission = (sql: Sql, before: readonly string[], after: readonly string[]): string[] =>
  sql
    .all<{ id: string; url: string }>(`SELECT id, url FROM servers WHERE status = 'active' AND url IS NOT NULL`)
    .filter(({ url }) => admitted(url, before) !== admitted(url, after))
    .map(({ id }) => id);
