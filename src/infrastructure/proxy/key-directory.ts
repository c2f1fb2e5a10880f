import type { StoredEvent } from '../eventstore';
import { isUsable, type ApiKeyGrant } from '../readmodels/apikey';

/** Reads a key by the hash of its plaintext from the read model; null when there is none. */
export type KeyLoader = (hash: string) => Promise<ApiKeyGrant | null>;

/**
 * The API keys the MCP endpoints have seen, by hash, so that a request does not read the
 * database to authenticate. A key's entry is dropped by the events of its stream (revocation
 * here at once, in another process when the log follower reads it); expiry is checked at every
 * use. Unknown hashes are not remembered: every guess is looked up (and rate-limited).
 */
export class KeyDirectory {
  private readonly grants = new Map<string, ApiKeyGrant>();
  private readonly hashes = new Map<string, string>();
  private generation = 0;

  constructor(
    private readonly load: KeyLoader,
    /** Told of every request a key was accepted for (must be cheap: it is on the request path). */
    private readonly onUse: (keyId: string) => void = () => undefined,
  ) {}

  /** A request was accepted with this key. */
  used(keyId: string): void {
    this.onUse(keyId);
  }

  async byHash(hash: string): Promise<ApiKeyGrant | null> {
    const cached = this.grants.get(hash);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const grant = await this.load(hash);
    if (grant !== null && generation === this.generation) {
      this.grants.set(hash, grant);
      this.hashes.set(grant.id, hash);
    }
    return grant;
  }

  apply(event: StoredEvent): void {
    if (event.streamId.startsWith('user-')) {
      // A user disabled, enabled or removed from a role: their keys' status changed; forget them all (rare).
      this.generation += 1;
      this.grants.clear();
      this.hashes.clear();
      return;
    }
    if (!event.streamId.startsWith('apikey-')) return;
    this.generation += 1;
    const keyId = (event.data as { keyId: string }).keyId;
    const hash = this.hashes.get(keyId);
    if (hash === undefined) return;
    this.hashes.delete(keyId);
    this.grants.delete(hash);
  }
}

export { isUsable };
