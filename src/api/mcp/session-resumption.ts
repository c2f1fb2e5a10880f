import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../infrastructure/gateway';
import type { ProxyProfile } from '../../infrastructure/proxy/profile-config';
import { ACTIVITY_INTERVAL_MS, type ProxySession } from '../../infrastructure/proxy/session-registry';
import type { InitializeParams } from '../../infrastructure/mcp-sessions';
import { isInitialize } from '../../infrastructure/transports/streamable-http';
import type { DownstreamSession, SessionStart } from './downstream-session';
import type { Caller } from './http-guards';

type Params = { protocolVersion?: unknown; capabilities?: unknown; clientInfo?: unknown };

/** What a session's record keeps of the initialize request that opened it (the POST's messages passed `readPostMessages`). */
export const initializeParamsOf = (messages: readonly JSONRPCMessage[]): InitializeParams => {
  const params = ((messages.find(isInitialize) as { params?: Params } | undefined)?.params ?? {}) as Params;
  return {
    protocolVersion: typeof params.protocolVersion === 'string' ? params.protocolVersion : '',
    capabilities: (params.capabilities ?? {}) as Record<string, unknown>,
    clientInfo: (params.clientInfo ?? {}) as Record<string, unknown>,
  };
};

export type OpenResumed = (profile: ProxyProfile, caller: Caller, sessionId: string, persisted: NonNullable<SessionStart['persisted']>) => DownstreamSession;

/**
 * Takes over a Streamable HTTP session this process does not hold: one opened before a restart,
 * or by another instance on the same database. The sealed id must open, name this profile and
 * the key presented now, and its record must still exist (not ended by a DELETE, a revoked key
 * or idle expiry); anything else is no session (404). Requests that arrive together for one
 * session resume it once.
 */
export class SessionResumer {
  private readonly resuming = new Map<string, Promise<DownstreamSession | undefined>>();

  constructor(
    private readonly gateway: Gateway,
    private readonly open: OpenResumed,
  ) {}

  /**
   * The session this process holds under the id (once resumed, if it is being resumed: the
   * registry holds it before it is ready), else the one it can resume.
   */
  session(profile: ProxyProfile, caller: Caller, sessionId: string): Promise<DownstreamSession | undefined> | ProxySession | undefined {
    const pending = this.resuming.get(sessionId);
    if (pending) return pending;
    const held = this.gateway.sessions.get(sessionId);
    if (held) return held;
    const resuming = this.load(profile, caller, sessionId).finally(() => this.resuming.delete(sessionId));
    this.resuming.set(sessionId, resuming);
    return resuming;
  }

  private async load(profile: ProxyProfile, caller: Caller, sessionId: string): Promise<DownstreamSession | undefined> {
    const { keyId } = caller;
    const { ids, store } = this.gateway.persistedSessions;
    const identity = ids.read(sessionId);
    if (identity === null || identity.profileId !== profile.id || identity.keyId !== keyId) return undefined;
    const record = await store.byId(identity.nonce);
    if (record === null || record.profileId !== profile.id || record.keyId !== keyId) return undefined;
    // The stored activity may lag the real one by an interval of the registry's writes.
    const idleSince = Date.now() - this.gateway.settings.current().sessionIdleTimeoutMs - ACTIVITY_INTERVAL_MS;
    if (record.lastActivity < idleSince) {
      await store.end(record.id, record.lastActivity);
      return undefined;
    }
    const session = this.open(profile, caller, sessionId, { store, record, resumed: true });
    await session.opened;
    this.gateway.observability.log('info', 'session resumed', { sessionId, profile: profile.slug });
    return session;
  }
}
