import type { Sql } from '../../infrastructure/eventstore';

/** Revocation and expiry must reach open sessions within 1 s; four looks a second leave room. */
export const KEY_WATCH_INTERVAL_MS = 250;

type KeyedSession = { readonly keyId: string | null; close: () => Promise<void> };
type KeyState = { id: string; status: string; expires_at: string | null };

/** Whether a key (as stored) still opens anything at `now` (ISO 8601, the stored format). */
export const keyIsUsable = (key: KeyState | undefined, now: string): boolean =>
  key !== undefined && key.status === 'active' && (key.expires_at === null || key.expires_at > now);

/**
 * Closes every open session whose API key was revoked or has expired. Each request re-checks
 * its key anyway; this is for sessions that only listen (an SSE stream, a GET stream), and for
 * revocations made by another process (`gatehouse keys revoke` next to `gatehouse serve`),
 * which this process sees in the read model, not on its event bus.
 */
export const watchSessionKeys = (
  sql: Sql,
  sessions: () => Iterable<{ session: KeyedSession }>,
  intervalMs = KEY_WATCH_INTERVAL_MS,
): (() => void) => {
  const sweep = (): void => {
    const keyed = [...sessions()].map(({ session }) => session).filter((session) => session.keyId !== null);
    if (keyed.length === 0) return;
    const ids = [...new Set(keyed.map((session) => session.keyId as string))];
    const rows = sql.all<KeyState>(`SELECT id, status, expires_at FROM api_keys WHERE id IN (${ids.map(() => '?').join(', ')})`, ...ids);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const now = new Date().toISOString();
    for (const session of keyed) {
      if (!keyIsUsable(byId.get(session.keyId as string), now)) void session.close().catch(() => undefined);
    }
  };
  const timer = setInterval(() => {
    try {
      sweep();
    } catch {
      // a database closed under us during shutdown; the next tick (if any) tries again
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
};
