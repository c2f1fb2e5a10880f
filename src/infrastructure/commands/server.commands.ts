import { randomUUID } from 'node:crypto';
import * as profile from '../../domain/profile';
import * as server from '../../domain/server';
import type { DiscoveredTool } from '../../domain/server/events';
import { DomainError, type SealedMap, type SealedSecret } from '../../domain/shared';
import { sealMap, type SecretBox } from '../crypto';
import { ConcurrencyError, loadState, type EventStore } from '../eventstore';
import { ProfileReadModel } from '../readmodels/profile';
import { decideOnStream, handleCommand, handleMultiStream, type CommandContext, type DecidedAppend } from './handle-command';
import { assertUpstreamUrlAllowed } from './upstream-policy';

/** A server as a user writes it: plaintext secrets, sealed here before they reach a command. */
export type ServerInput = Readonly<{
  name: string;
  description?: string | null;
  transport: server.Transport;
  command?: string | null;
  args?: readonly string[];
  env?: Readonly<Record<string, server.EnvInput>>;
  cwd?: string | null;
  url?: string | null;
  headers?: Readonly<Record<string, string>>;
  bearerToken?: string | null;
  timeoutMs?: number | null;
  isolation?: server.Isolation;
}>;

export type ServerPatch = Partial<ServerInput>;

/** The command handlers of the server streams. */
export class ServerCommands {
  constructor(
    private readonly store: EventStore,
    private readonly secrets: SecretBox,
  ) {}

  /** Registers a server under a new id (or the given one); the id is in the result. */
  async register(input: ServerInput, context: CommandContext, serverId: string = randomUUID()) {
    const settings = this.seal(input);
    const result = await handleCommand(
      this.store,
      server.serverDecider,
      server.serverStreamId(serverId),
      async (_state, tx) => {
        await assertUpstreamUrlAllowed(tx, input.url);
        return { type: 'RegisterServer', data: { serverId, name: input.name, settings } } as const;
      },
      context,
    );
    return { serverId, result };
  }

  reconfigure(serverId: string, patch: ServerPatch, context: CommandContext) {
    const changes = this.sealPatch(patch);
    return handleCommand(
      this.store,
      server.serverDecider,
      server.serverStreamId(serverId),
      async (_state, tx) => {
        await assertUpstreamUrlAllowed(tx, patch.url);
        return { type: 'ReconfigureServer', data: { serverId, changes } } as const;
      },
      context,
    );
  }

  /** Removing a server detaches it from every profile, in the same transaction. */
  remove(serverId: string, context: CommandContext) {
    const streamId = server.serverStreamId(serverId);
    return handleMultiStream(
      this.store,
      async (tx) => {
        if (context.expectedVersion !== undefined) {
          const version = await tx.streamVersion(streamId);
          if (version !== context.expectedVersion) throw new ConcurrencyError(streamId, context.expectedVersion, version);
        }
        const decided: DecidedAppend<unknown>[] = [await decideOnStream(tx, server.serverDecider, streamId, { type: 'RemoveServer', data: { serverId } })];
        for (const profileId of await new ProfileReadModel(tx.manager).usingServer(serverId)) {
          decided.push(
            await decideOnStream(tx, profile.profileDecider, profile.profileStreamId(profileId), {
              type: 'DetachServer',
              data: { profileId, serverId, reason: 'server_removed' },
            }),
          );
        }
        return decided;
      },
      context,
    );
  }

  /** Appends the events that bring the server back to what it was at global position `to`. */
  revert(serverId: string, to: number, context: CommandContext) {
    const streamId = server.serverStreamId(serverId);
    return handleCommand(
      this.store,
      server.serverDecider,
      streamId,
      async (_state, tx) => {
        const target = server.snapshotOf((await loadState(tx, server.serverDecider, streamId, to)).state);
        await assertUpstreamUrlAllowed(tx, target?.url);
        return { type: 'RevertServer', data: { serverId, target } } as const;
      },
      context,
    );
  }

  /** What an upstream's `tools/list` said; appends only when its fingerprint changed. */
  recordDiscoveredTools(serverId: string, tools: readonly DiscoveredTool[], fingerprint: string, context: CommandContext) {
    return handleCommand(this.store, server.serverDecider, server.serverStreamId(serverId), { type: 'RecordDiscoveredTools', data: { serverId, tools, fingerprint } }, context);
  }

  private seal(input: ServerInput): server.ServerSettings {
    return {
      description: input.description ?? null,
      transport: input.transport,
      command: input.command ?? null,
      args: [...(input.args ?? [])],
      env: this.sealEnv(input.env),
      cwd: input.cwd ?? null,
      url: input.url ?? null,
      headers: this.sealValues('headers', input.headers),
      bearerToken: input.bearerToken === undefined || input.bearerToken === null ? null : this.sealBearer(input.bearerToken),
      timeoutMs: input.timeoutMs ?? null,
      isolation: input.isolation ?? 'shared',
    };
  }

  private sealPatch(patch: ServerPatch): server.ServerChanges {
    const changes: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (field === 'env') changes[field] = this.sealEnv(value as Record<string, server.EnvInput>);
      else if (field === 'headers') changes[field] = this.sealValues(field, value as Record<string, string>);
      else if (field === 'bearerToken') changes[field] = value === null ? null : this.sealBearer(value as string);
      else if (field === 'args') changes[field] = [...(value as string[])];
      else changes[field] = value;
    }
    return changes as server.ServerChanges;
  }

  /** Secrets are checked before they are sealed: once sealed, nothing can look at them. */
  private sealValues(kind: 'env' | 'headers', values: Readonly<Record<string, string>> | undefined): SealedMap {
    for (const [name, value] of Object.entries(values ?? {})) refuseSecret(`${kind}.${name}`, server.secretValueProblem(kind, value));
    return sealMap(this.secrets, values);
  }

  /** Secret variables are checked and sealed; plain ones are kept as they are (the domain checks those). */
  private sealEnv(values: Readonly<Record<string, server.EnvInput>> | undefined): server.EnvMap {
    const env: Record<string, server.EnvValue> = {};
    for (const [name, input] of Object.entries(values ?? {})) {
      const { value, secret } = typeof input === 'string' ? { value: input, secret: null } : input;
      if (server.isSecretEnv(name, value, secret)) {
        refuseSecret(`env.${name}`, server.secretValueProblem('env', value));
        env[name] = this.secrets.seal(value);
      } else {
        env[name] = { plain: value };
      }
    }
    return env;
  }

  /** The bearer token travels in an Authorization header: a header value's rules apply. */
  private sealBearer(token: string): SealedSecret {
    refuseSecret('bearerToken', server.secretValueProblem('headers', token));
    return this.secrets.seal(token);
  }
}

const refuseSecret = (field: string, problem: string | null): void => {
  if (problem !== null) throw new DomainError('INVALID_SERVER_CONFIG', `${field} ${problem}`, { field });
};
