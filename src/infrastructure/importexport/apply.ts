import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import * as server from '../../domain/server';
import type { SealedMap, SealedSecret } from '../../domain/shared';
import { appendDecided, type CommandContext, type DecidedAppend, decideOnStream } from '../commands/handle-command';
import { refusedUpstreamUrls } from '../commands/upstream-policy';
import type { SecretBox } from '../crypto';
import { ProfileReadModel } from '../readmodels/profile';
import { ServerReadModel, serverRowToSnapshot } from '../readmodels/server';
import { type EnvEntryMap, type ImportDocument, ImportRefusedError, type SecretMap, type SecretValue, type ServerEntry } from './document';
import { decidedEventCount, describeImport, type ImportDecisions, type ImportOutcome } from './outcome';
import { type CurrentState, planImport, type ServerStep } from './plan';
import { applyPeople, type PeopleOutcome } from './people';
import { decideProfileStep } from './profile-steps';
import type { ManagedEventStore, ManagedTransaction } from '../eventstore/typeorm-event-store';

export type ImportResult = ImportOutcome & { people?: PeopleOutcome } &
  (
    | Readonly<{
        dryRun: false;
        /** How many events the import appended: 0 when the configuration already was what the document says. */
        appended: number;
      }>
    | Readonly<{ dryRun: true; appended: 0; wouldAppend: number }>
  );

export type ImportOptions = Readonly<{
  /** Attach every imported server to this profile (active), creating it when it does not exist. */
  profile?: string;
  /** Decide everything, append nothing, and tell what the import would do. */
  dryRun?: boolean;
}>;

const loadCurrentState = async (tx: ManagedTransaction): Promise<CurrentState> => {
  const servers = await new ServerReadModel(tx.manager).list();
  const profiles = await new ProfileReadModel(tx.manager).listActive();
  return {
    servers: new Map(
      servers.map((row) => {
        const snapshot = serverRowToSnapshot(row);
        return [row.name, { id: row.id, envKeys: new Set(Object.keys(snapshot.env)), headerKeys: new Set(Object.keys(snapshot.headers)), hasBearerToken: snapshot.bearerToken !== null }];
      }),
    ),
    profiles: new Map(profiles.map((row) => [row.slug, row.id])),
  };
};

/**
 * Seals a plaintext, or, for a mask, keeps the secret the server holds (the sealed value itself:
 * it is never decrypted). The plan has checked that it exists; a concurrent change that removed
 * it since is refused like the entry would have been.
 */
/** A plain value is checked as the REST API checks it (once sealed, nothing can look at it), then sealed. */
const resolveSecret = (
  secrets: SecretBox,
  kind: 'env' | 'headers',
  value: SecretValue,
  current: SealedSecret | undefined,
  field: string,
): SealedSecret => {
  if (value.kind === 'plain') {
    const problem = server.secretValueProblem(kind, value.value);
    if (problem !== null) throw new ImportRefusedError([{ field, messages: [problem] }]);
    return secrets.seal(value.value);
  }
  if (current === undefined) throw new ImportRefusedError([{ field, messages: ['is masked, but the server no longer has this value'] }]);
  return current;
};

const resolveMap = (secrets: SecretBox, kind: 'env' | 'headers', values: SecretMap, current: SealedMap, path: string): SealedMap =>
  Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, resolveSecret(secrets, kind, value, current[key], `${path}.${kind}.${key}`)]),
  );

/**
 * A given env value is secret or plain as the entry says, else as the automatic rule decides.
 * A mask keeps the variable the server has; with `"secret": true` a plain one is sealed, and
 * `"secret": false` cannot reveal a secret (its value is not in the document).
 */
const resolveEnv = (secrets: SecretBox, values: EnvEntryMap, current: server.EnvMap, path: string): server.EnvMap =>
  Object.fromEntries(
    Object.entries(values).map(([name, { value, secret }]): [string, server.EnvValue] => {
      const field = `${path}.env.${name}`;
      if (value.kind === 'plain') {
        return [name, server.isSecretEnv(name, value.value, secret) ? resolveSecret(secrets, 'env', value, undefined, field) : { plain: value.value }];
      }
      const kept = current[name];
      if (kept === undefined || !server.isPlainEnvValue(kept)) {
        if (secret === false) throw new ImportRefusedError([{ field, messages: ['is masked, so it cannot be made plain; give the value'] }]);
        return [name, resolveSecret(secrets, 'env', value, kept, field)];
      }
      return [name, secret === true ? secrets.seal(kept.plain) : kept];
    }),
  );

/**
 * Headers sealed (a mask keeps the one the server has), and the names of the secret ones: those
 * the entry declares secret, those that look like a credential (the floor), and, given masked
 * without a flag, those secret before. As with env, a bare string is decided by the rule.
 */
const resolveHeaders = (
  secrets: SecretBox,
  values: EnvEntryMap,
  current: Pick<server.ServerSettings, 'headers' | 'secretHeaders'> | undefined,
  path: string,
): Pick<server.ServerSettings, 'headers' | 'secretHeaders'> => {
  const before = new Set(current?.secretHeaders ?? []);
  const plainValues = Object.fromEntries(Object.entries(values).map(([name, { value }]) => [name, value]));
  const secretHeaders = Object.entries(values)
    .filter(([name, { value, secret }]) =>
      value.kind === 'plain' ? server.isSecretHeaderValue(name, value.value, secret) : server.isSecretHeaderValue(name, '', secret ?? (before.has(name) || null)),
    )
    .map(([name]) => name);
  return { headers: resolveMap(secrets, 'headers', plainValues, current?.headers ?? {}, path), secretHeaders };
};

const settingsFor = (secrets: SecretBox, entry: ServerEntry, state: server.ServerState): server.ServerSettings => {
  const current = state.status === 'active' ? state : undefined;
  const path = `mcpServers.${entry.name}`;
  return {
    description: entry.description,
    transport: entry.transport,
    command: entry.command,
    args: [...entry.args],
    env: resolveEnv(secrets, entry.env, current?.env ?? {}, path),
    cwd: entry.cwd,
    url: entry.url,
    ...resolveHeaders(secrets, entry.headers, current, path),
    bearerToken: entry.bearerToken === null ? null : resolveSecret(secrets, 'headers', entry.bearerToken, current?.bearerToken ?? undefined, `${path}.bearerToken`),
    timeoutMs: entry.timeoutMs,
    // Claude Desktop entries have no isolation: keep what the server has.
    isolation: current?.isolation ?? 'shared',
    toolPinning: entry.toolPinning ?? current?.toolPinning ?? 'off',
    credentials: entry.credentials ?? current?.credentials ?? 'shared',
  };
};

/** An existing server is reconfigured to the entry (nothing is appended when it already matches). */
const serverCommand = (secrets: SecretBox, step: ServerStep) => (state: server.ServerState): server.ServerCommand => {
  const settings = settingsFor(secrets, step.entry, state);
  return step.exists
    ? { type: 'ReconfigureServer', data: { serverId: step.serverId, changes: { name: step.entry.name, ...settings } } }
    : { type: 'RegisterServer', data: { serverId: step.serverId, name: step.entry.name, settings } };
};

/** An entry's approved tool definitions replace the server's, decided on the state its own events lead to. */
const withApprovals = (
  decided: DecidedAppend<server.ServerState>,
  serverId: string,
  approvedTools: readonly server.ApprovedTool[] | undefined,
): DecidedAppend<server.ServerState> => {
  if (approvedTools === undefined) return decided;
  const after = decided.events.reduce((state, event) => server.serverDecider.evolve(state, event as server.ServerEvent), decided.state);
  const restored = server.serverDecider.decide({ type: 'RestoreToolApprovals', data: { serverId, tools: approvedTools } }, after);
  return { ...decided, events: [...decided.events, ...restored] };
};

/** Plans the import on the state the transaction sees and decides every stream it touches, appending nothing. */
const decideImport = async (tx: ManagedTransaction, secrets: SecretBox, document: ImportDocument, options: ImportOptions): Promise<ImportDecisions> => {
  const refusedUrls = await refusedUpstreamUrls(tx, document.servers, (name) => `mcpServers.${name}.url`);
  if (refusedUrls.length > 0) throw new ImportRefusedError(refusedUrls);
  const plan = planImport(document, await loadCurrentState(tx), { attachTo: options.profile, newId: randomUUID });
  const servers: DecidedAppend<server.ServerState>[] = [];
  for (const step of plan.servers) {
    const decided = await decideOnStream(tx, server.serverDecider, server.serverStreamId(step.serverId), serverCommand(secrets, step));
    servers.push(withApprovals(decided, step.serverId, step.entry.approvedTools));
  }
  const profiles: DecidedAppend<unknown>[] = [];
  for (const step of plan.profiles) profiles.push(await decideProfileStep(tx, step, plan));
  return { plan, servers, profiles };
};

/**
 * Applies a parsed document in one transaction: every server and profile it describes, or
 * nothing (a bad entry, a masked secret with nothing to keep, a name taken concurrently).
 * Servers are matched by active name and profiles by slug; others are left alone.
 *
 * A dry run decides in a store transaction too, like the import (and like the export, for a
 * consistent read), so that it is refused, or describes the changes, as the import would at
 * that moment; it returns without appending. (The append guards it skips check names against
 * the read models the plan matched them with, in the same transaction: nothing left to refuse.)
 */
export const importDocument = async (
  deps: Readonly<{ store: ManagedEventStore; secrets: SecretBox; reads: EntityManager }>,
  document: ImportDocument,
  options: ImportOptions,
  context: CommandContext,
): Promise<ImportResult> => {
  const imported = { profiles: new Set([...(document.profiles ?? []).map((entry) => entry.slug), ...(options.profile === undefined ? [] : [options.profile])]), servers: new Set(document.servers.map((entry) => entry.name)) };
  const withPeople = <Result extends ImportOutcome>(result: Result, people: PeopleOutcome | undefined): Result & { people?: PeopleOutcome } =>
    people === undefined ? result : { ...result, people, warnings: [...result.warnings, ...people.warnings] };
  if (options.dryRun === true) {
    const decisions = await deps.store.transact((tx) => decideImport(tx, deps.secrets, document, options));
    const people = document.people ? await applyPeople(deps.reads, document.people, { tx: null, imported }, context) : undefined;
    return withPeople({ dryRun: true as const, ...describeImport(decisions, document.warnings, true), appended: 0 as const, wouldAppend: decidedEventCount(decisions) }, people);
  }
  // Servers and profiles, then users and access (which name them), in one transaction.
  const { decided, stored, people } = await deps.store.transact(async (tx) => {
    const decisions = await decideImport(tx, deps.secrets, document, options);
    const events = await appendDecided(tx, [...decisions.servers, ...decisions.profiles], context);
    const outcome = document.people ? await applyPeople(tx.manager, document.people, { tx, imported }, context) : undefined;
    return { decided: decisions, stored: events, people: outcome };
  });
  const result = withPeople({ dryRun: false as const, ...describeImport(decided, document.warnings, false), appended: stored.length }, people);
  return { ...result, appended: stored.length + (people?.appended ?? 0) };
};
