import type { EntityManager } from 'typeorm';
import { UserCredentialsReadModel } from './credentials';
import * as server from '../../domain/server';
import type { ToolPrefixMode } from '../../domain/profile/events';
import type { ServerSnapshot } from '../../domain/server/events';
import type { Settings } from '../../domain/settings/events';
import { currentSettings } from './settings';
import { loadState, resolvePosition, type EventLog } from '../eventstore';
import { AccessReadModel } from './access';
import { ApiKeyReadModel } from './apikey';
import { DebugLogQueries } from './debug-logs';
import { OAuthReadModel } from './oauth';
import { PersonalAccessTokenReadModel } from './pat';
import { effectiveTools, profileAt, ProfileReadModel, type EffectiveTool, type ProfileView } from './profile';
import { ServerReadModel } from './server';
import { toolHistories, ToolReadModel, type ToolDefinitionHistory } from './tools';
import { UserReadModel } from './user';

/**
 * The read side as the edges use it: each read model's typed queries on the reader connection,
 * plus the reads that combine them with the log (time travel, effective tools, settings).
 */
export class Queries {
  readonly servers: ServerReadModel;
  readonly tools: ToolReadModel;
  readonly profiles: ProfileReadModel;
  readonly apiKeys: ApiKeyReadModel;
  readonly oauth: OAuthReadModel;
  readonly debugLogs: DebugLogQueries;
  readonly users: UserReadModel;
  readonly access: AccessReadModel;
  readonly personalAccessTokens: PersonalAccessTokenReadModel;
  readonly userCredentials: UserCredentialsReadModel;
  private readonly histories = new Map<string, { version: number; histories: ReadonlyMap<string, ToolDefinitionHistory> }>();

  constructor(
    private readonly manager: EntityManager,
    readonly log: EventLog,
  ) {
    this.servers = new ServerReadModel(manager);
    this.tools = new ToolReadModel(manager);
    this.profiles = new ProfileReadModel(manager);
    this.apiKeys = new ApiKeyReadModel(manager);
    this.oauth = new OAuthReadModel(manager);
    this.debugLogs = new DebugLogQueries(manager);
    this.users = new UserReadModel(manager);
    this.access = new AccessReadModel(manager);
    this.personalAccessTokens = new PersonalAccessTokenReadModel(manager);
    this.userCredentials = new UserCredentialsReadModel(manager);
  }

  /** `?at=`: a position, or the last one recorded at or before a time. */
  position(at: { position: number } | { time: string }): Promise<number> {
    return resolvePosition(this.log, at);
  }

  effectiveTools(profileId: string, toolPrefix: ToolPrefixMode): Promise<EffectiveTool[]> {
    return effectiveTools(this.manager, profileId, toolPrefix, async (serverId) => {
      const histories = await this.toolHistories(serverId);
      return new Set([...histories.values()].filter((history) => history.changedUpstream).map((history) => history.name));
    });
  }

  /**
   * Each tool's definition history on one server, from the server's stream (discoveries and
   * approvals). Kept per server until the stream moves on: folding a discovery of thousands of
   * tools (hashing each definition) on every read of a profile's tools would cost more than the read.
   */
  async toolHistories(serverId: string): Promise<ReadonlyMap<string, ToolDefinitionHistory>> {
    const streamId = server.serverStreamId(serverId);
    const cached = this.histories.get(serverId);
    if (cached !== undefined && cached.version === (await this.log.streamVersion(streamId))) return cached.histories;
    const events = await this.log.readStream(streamId);
    const histories = toolHistories(events);
    this.histories.set(serverId, { version: events.at(-1)?.version ?? 0, histories });
    return histories;
  }

  /** The profile that carried `slug` at `position`, as it was then. */
  profileAt(slug: string, position: number): Promise<ProfileView | null> {
    return profileAt(this.log, this.profiles, slug, position);
  }

  /** A server as it was at `position` (null: it did not exist then). */
  async serverAt(serverId: string, position: number): Promise<{ snapshot: ServerSnapshot; version: number; approvedTools: readonly server.ApprovedTool[] } | null> {
    const { state, version } = await loadState(this.log, server.serverDecider, server.serverStreamId(serverId), position);
    const snapshot = server.snapshotOf(state);
    return snapshot === null ? null : { snapshot, version, approvedTools: server.approvalsOf(state) };
  }

  /** The effective settings and their stream version (the ETag). */
  settings(): Promise<{ settings: Settings; version: number }> {
    return currentSettings(this.log);
  }
}
