import * as profile from '../../domain/profile';
import * as server from '../../domain/server';
import type { DiscoveredTool } from '../../domain/server/events';
import { DomainError, type SealedMap, type SealedSecret } from '../../domain/shared';
import { MASK, mask, sealMap, type SecretBox } from '../crypto';
import { ConcurrencyError, loadState, newStreamId } from '../eventstore';
import { ProfileReadModel } from '../readmodels/profile';
import { decideOnStream, handleCommand, handleMultiStream, type CommandContext, type DecidedAppend } from './handle-command';
import { assertUpstreamUrlAllowed } from './upstream-policy';
import type { ManagedEventStore } from '../eventstore/typeorm-event-store';

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
  /** A value is a string (secret when it looks like a credential, or stays as it was) or `{value, secret}`. */
  headers?: Readonly<Record<string, server.EnvInput>>;
  bearerToken?: string | null;
  timeoutMs?: number | null;
  isolation?: server.Isolation;
  toolPinning?: server.ToolPinning;
  credentials?: server.CredentialMode;
}>;

export type ServerPatch = Partial<ServerInput>;

/** The command handlers of the server streams. */
export class ServerCommands {
  constructor(
    private readonly store: ManagedEventStore,
    private readonly secrets: SecretBox,
  ) {}

  /** Registers a server under a new id (or the given one); the id is in the result. */
  async register(
    input: ServerInput,
    context: CommandContext,
    serverId: string = newStreamId(server.serverStreamId),
    options: Readonly<{ approveFirstDiscovery?: boolean }> = {},
  ) {
    const settings = this.seal(input);
    const approveFirstDiscovery = options.approveFirstDiscovery === true;
    const result = await handleCommand(
      this.store,
      server.serverDecider,
      server.serverStreamId(serverId),
      async (_state, tx) => {
        await assertUpstreamUrlAllowed(tx, input.url);
        return { type: 'RegisterServer', data: { serverId, name: input.name, settings, approveFirstDiscovery } } as const;
      },
      context,
    );
    return { serverId, result };
  }

  reconfigure(serverId: string, patch: ServerPatch, context: CommandContext) {
    return handleCommand(
      this.store,
      server.serverDecider,
      server.serverStreamId(serverId),
      async (state, tx) => {
        await assertUpstreamUrlAllowed(tx, patch.url);
        const changes = this.sealPatch(patch, state.status === 'active' ? state : null);
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
        const past = (await loadState(tx, server.serverDecider, streamId, to)).state;
        const target = server.snapshotOf(past);
        await assertUpstreamUrlAllowed(tx, target?.url);
        return { type: 'RevertServer', data: { serverId, target, approvedTools: server.approvalsOf(past) } } as const;
      },
      context,
    );
  }

  /** What an upstream's `tools/list` said; appends only when its fingerprint changed. */
  recordDiscoveredTools(serverId: string, tools: readonly DiscoveredTool[], fingerprint: string, context: CommandContext) {
    return handleCommand(this.store, server.serverDecider, server.serverStreamId(serverId), { type: 'RecordDiscoveredTools', data: { serverId, tools, fingerprint } }, context);
  }

  /** Approves the current definitions of `tools` (absent: of every pending tool) as the context's actor. */
  approveTools(serverId: string, tools: readonly string[] | undefined, context: CommandContext) {
    return handleCommand(
      this.store,
      server.serverDecider,
      server.serverStreamId(serverId),
      { type: 'ApproveToolDefinitions', data: { serverId, ...(tools === undefined ? {} : { tools }), approvedBy: context.actor } },
      context,
    );
  }

  /** Replaces the approved tool definitions as a whole (an import). */
  restoreToolApprovals(serverId: string, tools: readonly server.ApprovedTool[], context: CommandContext) {
    return handleCommand(this.store, server.serverDecider, server.serverStreamId(serverId), { type: 'RestoreToolApprovals', data: { serverId, tools } }, context);
  }

  private seal(input: ServerInput): server.ServerSettings {
    return {
      description: input.description ?? null,
      transport: input.transport,
      command: input.command ?? null,
      args: [...(input.args ?? [])],
      env: this.keepMasked('env', input.env ?? {}, {}, (values) => this.sealEnv(values)),
      cwd: input.cwd ?? null,
      url: input.url ?? null,
      ...this.sealHeaders(input.headers ?? {}, null),
      bearerToken: input.bearerToken === undefined || input.bearerToken === null ? null : this.sealBearer(refuseMask('bearerToken', input.bearerToken)),
      timeoutMs: input.timeoutMs ?? null,
      isolation: input.isolation ?? 'shared',
      toolPinning: input.toolPinning ?? 'off',
      credentials: input.credentials ?? 'shared',
    };
  }

  /**
   * A patch sealed. A secret given as its mask (`••••cdef`, as GET shows it: a client that sends
   * back what it read) keeps the secret stored under that name; a mask that matches none is
   * refused rather than stored as the value.
   */
  private sealPatch(patch: ServerPatch, current: server.ServerSnapshot | null): server.ServerChanges {
    const changes: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (field === 'env') changes[field] = this.keepMasked('env', value as Record<string, server.EnvInput>, current?.env ?? {}, (kept) => this.sealEnv(kept));
      else if (field === 'headers') Object.assign(changes, this.sealHeaders(value as Record<string, server.EnvInput>, current));
      else if (field === 'bearerToken') changes[field] = value === null ? null : value === mask(current?.bearerToken ?? null) ? current?.bearerToken : this.sealBearer(refuseMask('bearerToken', value as string));
      else if (field === 'args') changes[field] = [...(value as string[])];
      else changes[field] = value;
    }
    return changes as server.ServerChanges;
  }

  /** `values` sealed by `seal`, but those given as the mask of the secret stored under their name, which stay as stored. */
  private keepMasked<I extends string | server.EnvInput, M extends Readonly<Record<string, unknown>>>(
    kind: 'env' | 'headers',
    values: Readonly<Record<string, I>>,
    stored: Readonly<Record<string, SealedSecret | server.EnvValue>>,
    seal: (values: Readonly<Record<string, I>>) => M,
  ): M {
    const kept: Record<string, SealedSecret | server.EnvValue> = {};
    const fresh: Record<string, I> = {};
    for (const [name, input] of Object.entries(values)) {
      const given = typeof input === 'string' ? input : (input as { value: string }).value;
      const previous = stored[name];
      if (previous !== undefined && !server.isPlainEnvValue(previous as server.EnvValue) && given === mask(previous as SealedSecret)) kept[name] = previous;
      else {
        refuseMask(`${kind}.${name}`, given);
        // A variable that exists keeps its secrecy unless told otherwise ({value, secret}), so what
        // GET showed can be sent back as it is; but a value that looks like a credential pasted
        // into a plain one is sealed.
        if (kind === 'env' && typeof input === 'string' && previous !== undefined) {
          const secret = !server.isPlainEnvValue(previous as server.EnvValue) || server.looksLikeCredential(input);
          fresh[name] = { value: input, secret } as I;
        } else fresh[name] = input;
      }
    }
    const sealed = seal(fresh) as Readonly<Record<string, unknown>>;
    return Object.fromEntries(Object.keys(values).map((name) => [name, kept[name] ?? sealed[name]])) as unknown as M;
  }

  /**
   * Headers sealed (a mask keeps the value stored under its name), with the names of those that
   * are secret: declared so, looking like a credential (the floor: `"secret": false` does not
   * hand a credential-looking header to every user of a per-user server), or, given as a bare
   * string, secret before. The plaintext is looked at here, before sealing, and never again.
   */
  private sealHeaders(
    values: Readonly<Record<string, server.EnvInput>>,
    current: server.ServerSnapshot | null,
  ): Pick<server.ServerSettings, 'headers' | 'secretHeaders'> {
    const given = (input: server.EnvInput): string => (typeof input === 'string' ? input : input.value);
    const strings = Object.fromEntries(Object.entries(values).map(([name, input]) => [name, given(input)]));
    const headers = this.keepMasked('headers', strings, current?.headers ?? {}, (kept) => this.sealValues('headers', kept));
    const before = new Set(current?.secretHeaders ?? []);
    const secretHeaders = Object.entries(values)
      .filter(([name, input]) => {
        const value = given(input);
        const declared = typeof input === 'string' ? (before.has(name) ? true : null) : input.secret;
        return server.isSecretHeaderValue(name, value.startsWith(MASK) ? '' : value, declared);
      })
      .map(([name]) => name);
    return { headers, secretHeaders };
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

/** A mask that stands for no stored secret: storing it as the value would be a silent mistake. */
const refuseMask = (field: string, value: string): string => {
  if (value.startsWith(MASK)) {
    throw new DomainError('INVALID_SERVER_CONFIG', `${field} is a masked value (as GET shows a secret) but no secret is stored under that name: send the value itself`, { field });
  }
  return value;
};

const refuseSecret = (field: string, problem: string | null): void => {
  if (problem !== null) throw new DomainError('INVALID_SERVER_CONFIG', `${field} ${problem}`, { field });
};
