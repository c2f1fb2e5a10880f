import type * as server from '../../domain/server';
import { type EnvMap, isPlainEnvValue, sameEnvValue } from '../../domain/server/env';
import type { SealedSecret } from '../../domain/shared';
import type { DecidedAppend } from '../commands/handle-command';
import type { ImportPlan } from './plan';

/**
 * What an import does, told from what it decided: the same description for an import and for
 * its dry run, which decides the very same events and appends none of them.
 */

export type ServerAction = 'registered' | 'reconfigured' | 'unchanged';
export type ProfileAction = 'created' | 'updated' | 'unchanged';

export type ServerOutcome = Readonly<{
  name: string;
  /** null in a dry run for a server that is not registered yet: its id is chosen when it is. */
  id: string | null;
  action: ServerAction;
  /** The settings a reconfiguration changes (`args`, `env`, …), in a fixed order; empty otherwise. */
  changed: readonly string[];
  /** Secrets a reconfiguration gives another value (`env.API_KEY`, `headers.X-Key`, `bearerToken`); names only. */
  secretsReplaced: readonly string[];
  /** Secrets a reconfiguration removes, because the entry no longer has them; names only. */
  secretsDropped: readonly string[];
}>;

export type ProfileOutcome = Readonly<{ slug: string; id: string | null; action: ProfileAction }>;

export type ImportOutcome = Readonly<{
  servers: readonly ServerOutcome[];
  /** The profiles of the `gatehouse` section, then the one to attach to. */
  profiles: readonly ProfileOutcome[];
  attachedTo: string | null;
  /** What the document held that was skipped (see parse.ts). */
  warnings: readonly string[];
}>;

/** The decisions of one import, stream by stream, before anything is appended. */
export type ImportDecisions = Readonly<{
  plan: ImportPlan;
  /** One per server step, decided on the server's state before the import (`state`). */
  servers: readonly DecidedAppend<server.ServerState>[];
  /** One per profile step. */
  profiles: readonly DecidedAppend<unknown>[];
}>;

export const decidedEventCount = (decisions: ImportDecisions): number =>
  [...decisions.servers, ...decisions.profiles].reduce((count, append) => count + append.events.length, 0);

type SecretChanges = { replaced: string[]; dropped: string[] };

/** Only secrets are told: a plain env value before is no secret (a header map holds secrets only). */
const mapChanges = (field: 'env' | 'headers', before: EnvMap, after: EnvMap | undefined, into: SecretChanges): void => {
  if (after === undefined) return;
  for (const [key, value] of Object.entries(before)) {
    if (isPlainEnvValue(value)) continue;
    if (!Object.hasOwn(after, key)) into.dropped.push(`${field}.${key}`);
    else if (!sameEnvValue(value, after[key])) into.replaced.push(`${field}.${key}`);
  }
};

/** Compares fingerprints only: a dry run tells which secret changes, never what it was or becomes. */
const secretChanges = (before: server.ServerState, changes: Partial<server.ServerSettings>): SecretChanges => {
  const result: SecretChanges = { replaced: [], dropped: [] };
  if (before.status !== 'active') return result;
  mapChanges('env', before.env, changes.env, result);
  mapChanges('headers', before.headers, changes.headers, result);
  const bearerToken: SealedSecret | null | undefined = changes.bearerToken;
  if (bearerToken !== undefined && before.bearerToken !== null) (bearerToken === null ? result.dropped : result.replaced).push('bearerToken');
  return result;
};

const serverOutcome = (decisions: ImportDecisions, index: number, dryRun: boolean): ServerOutcome => {
  const step = decisions.plan.servers[index];
  const { events, state } = decisions.servers[index];
  const { name } = step.entry;
  const id = step.exists || !dryRun ? step.serverId : null;
  const reconfigured = events.find((event): event is server.ServerReconfigured => event.type === 'ServerReconfigured');
  if (!step.exists || reconfigured === undefined) {
    return { name, id, action: step.exists ? 'unchanged' : 'registered', changed: [], secretsReplaced: [], secretsDropped: [] };
  }
  const secrets = secretChanges(state, reconfigured.data.changes);
  return { name, id, action: 'reconfigured', changed: Object.keys(reconfigured.data.changes), secretsReplaced: secrets.replaced, secretsDropped: secrets.dropped };
};

const profileOutcome = (decisions: ImportDecisions, index: number, dryRun: boolean): ProfileOutcome => {
  const step = decisions.plan.profiles[index];
  const action: ProfileAction = !step.exists ? 'created' : decisions.profiles[index].events.length > 0 ? 'updated' : 'unchanged';
  return { slug: step.slug, id: step.exists || !dryRun ? step.profileId : null, action };
};

export const describeImport = (decisions: ImportDecisions, warnings: readonly string[], dryRun: boolean): ImportOutcome => ({
  servers: decisions.plan.servers.map((_, index) => serverOutcome(decisions, index, dryRun)),
  profiles: decisions.plan.profiles.map((_, index) => profileOutcome(decisions, index, dryRun)),
  attachedTo: decisions.plan.attachTo,
  warnings,
});
