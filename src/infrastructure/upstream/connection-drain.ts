import type { UpstreamConnectionBase } from './connection-base';

/**
 * Counts the requests in flight on each connection a supervisor has handed out, so that one it
 * replaced while it was serving (a 2025 session superseded by a slow server's late 2026 answer)
 * is closed once its last request is answered, not under it.
 */
export class ConnectionDrain {
  private readonly busy = new Map<UpstreamConnectionBase, number>();
  private readonly retiring = new Set<UpstreamConnectionBase>();

  async around<T>(connection: UpstreamConnectionBase, request: () => Promise<T>): Promise<T> {
    this.busy.set(connection, (this.busy.get(connection) ?? 0) + 1);
    try {
      return await request();
    } finally {
      const left = (this.busy.get(connection) ?? 1) - 1;
      if (left > 0) this.busy.set(connection, left);
      else {
        this.busy.delete(connection);
        if (this.retiring.delete(connection)) void connection.close();
      }
    }
  }

  /** Closes `connection` now if it serves nothing, else after its last request in flight. */
  retire(connection: UpstreamConnectionBase): void {
    if (this.busy.has(connection)) this.retiring.add(connection);
    else void connection.close();
  }

  /** The supervisor stops: what is still retiring is closed at once (its requests fail as closed). */
  async closeRetiring(): Promise<void> {
    const retiring = [...this.retiring];
    this.retiring.clear();
    await Promise.all(retiring.map((connection) => connection.close()));
  }
}
