import type { Observable, Subscription } from 'rxjs';
import type { EntityManager } from 'typeorm';
import { type EnvMap, isPlainEnvValue } from '../../domain/server/env';
import type { SealedMap, SealedSecret } from '../../domain/shared';
import { openMap, type SecretBox } from '../crypto';
import type { StoredEvent } from '../eventstore';
import { toUpstreamSpec } from '../proxy/profile-config';
import { UserCredentialsReadModel } from '../readmodels/credentials';
import { ServerReadModel } from '../readmodels/server';
import type { UpstreamSpec } from '../upstream';
import { Redactor } from './redaction';

type SecretFields = Pick<UpstreamSpec, 'env' | 'plainEnvNames' | 'headers' | 'bearerToken'>;

/** The plaintext values a spec carries that must never be logged or stored (plain env values are not secret). */
export const secretValuesOf = (spec: SecretFields): string[] => {
  const plain = new Set(spec.plainEnvNames ?? []);
  const values: string[] = Object.entries(spec.env).flatMap(([name, value]) => (plain.has(name) ? [] : [value]));
  for (const header of Object.values(spec.headers)) {
    values.push(header);
    // `Authorization: Bearer <token>`: the token alone is as secret as the whole value.
    const credential = /^\S+\s+(\S+)$/.exec(header.trim());
    if (credential) values.push(credential[1]);
  }
  if (spec.bearerToken !== null) values.push(spec.bearerToken);
  return values;
};

type SealedFields = Partial<{ env: EnvMap; headers: SealedMap; bearerToken: SealedSecret | null }>;

/** One server's secret values, by the setting they come from (a reconfiguration replaces whole settings). */
type ServerSecrets = Readonly<{ env: readonly string[]; headers: readonly string[]; bearerToken: readonly string[] }>;

const NO_SECRETS: ServerSecrets = { env: [], headers: [], bearerToken: [] };

/** The secret values of the settings present in `fields` (in plaintext); the others are taken from `base`. */
const withSettings = (fields: Partial<SecretFields>, base: ServerSecrets): ServerSecrets => ({
  env: fields.env === undefined ? base.env : secretValuesOf({ env: fields.env, plainEnvNames: fields.plainEnvNames, headers: {}, bearerToken: null }),
  headers: fields.headers === undefined ? base.headers : secretValuesOf({ env: {}, headers: fields.headers, bearerToken: null }),
  bearerToken: fields.bearerToken === undefined ? base.bearerToken : fields.bearerToken === null ? [] : [fields.bearerToken],
});

/** The secret variables of an env, opened; plain ones are no secret and are left out. */
const openSecretEnv = (secrets: SecretBox, env: EnvMap): Record<string, string> =>
  Object.fromEntries(Object.entries(env).flatMap(([name, value]) => (isPlainEnvValue(value) ? [] : [[name, secrets.open(value)]])));

/** The same for the sealed settings an event carries. */
const withSealedSettings = (secrets: SecretBox, fields: SealedFields, base: ServerSecrets): ServerSecrets =>
  withSettings(
    {
      env: fields.env === undefined ? undefined : openSecretEnv(secrets, fields.env),
      headers: fields.headers === undefined ? undefined : openMap(secrets, fields.headers),
      bearerToken: fields.bearerToken === undefined || fields.bearerToken === null ? fields.bearerToken : secrets.open(fields.bearerToken),
    },
    base,
  );

/** The server events that change which secrets a server has. */
const SECRET_BEARING = new Set(['ServerRegistered', 'ServerRestored', 'ServerReconfigured', 'ServerRemoved']);
/** The events that change which secrets one user has for one (per-user) server. */
const USER_SECRET_BEARING = new Set(['UserCredentialsSet', 'UserCredentialsRemoved']);

type SealedUserSecrets = Readonly<{ serverId: string; userId: string; bearerToken?: SealedSecret | null; env?: SealedMap }>;

/** A user's credentials opened: the bearer token and every env value (all secret). */
const openUserSecrets = (secrets: SecretBox, data: SealedUserSecrets): readonly string[] => [
  ...(data.bearerToken ? [secrets.open(data.bearerToken)] : []),
  ...Object.values(openMap(secrets, data.env ?? {})),
];

/**
 * A redactor that knows every configured secret value (the env, header and bearer values of
 * every active server, decrypted in memory only) plus fixed ones such as the admin token.
 * Read from the read models once at start; after that each committed server event updates its
 * own server's values (a registration or restore sets them, a reconfiguration replaces the
 * settings it changes, a removal forgets them), so a change costs the same however many servers
 * there are. A rotated secret is covered from the next record on; callers capture the redactor
 * at record time, so the old value stays covered for records already queued.
 */
export class SecretValues {
  private byServer = new Map<string, ServerSecrets>();
  /** Each user's own credentials for per-user servers, by `<serverId>/<userId>`. */
  private byUser = new Map<string, readonly string[]>();
  private cached: Redactor | null = null;
  private readonly subscription: Subscription | null;

  constructor(
    private readonly reads: EntityManager,
    private readonly secrets: SecretBox,
    /** Secrets that are not server configuration (the admin token); read at every rebuild. */
    private readonly extra: () => readonly string[] = () => [],
    events$?: Observable<StoredEvent>,
  ) {
    this.subscription = events$?.subscribe((event) => this.onEvent(event)) ?? null;
  }

  /** Reads every server's secrets from the read models (at start). */
  async reload(): Promise<void> {
    const byServer = new Map<string, ServerSecrets>();
    for (const row of await new ServerReadModel(this.reads).list()) {
      try {
        byServer.set(row.id, withSettings(toUpstreamSpec(this.secrets, row), NO_SECRETS));
      } catch {
        // A secret that cannot be opened (lost data key) cannot leak either: skip that server.
      }
    }
    const byUser = new Map<string, readonly string[]>();
    for (const credentials of await new UserCredentialsReadModel(this.reads).all()) {
      try {
        byUser.set(`${credentials.serverId}/${credentials.userId}`, openUserSecrets(this.secrets, credentials));
      } catch {
        // Same as a server's: what cannot be opened cannot leak.
      }
    }
    // Events that arrived while reading are newer than what was read: theirs win.
    for (const [serverId, values] of this.byServer) byServer.set(serverId, values);
    for (const [key, values] of this.byUser) byUser.set(key, values);
    this.byServer = byServer;
    this.byUser = byUser;
    this.cached = null;
  }

  redactor(): Redactor {
    if (this.cached === null) {
      const values = new Set(this.extra());
      for (const server of this.byServer.values()) for (const value of [...server.env, ...server.headers, ...server.bearerToken]) values.add(value);
      for (const user of this.byUser.values()) for (const value of user) values.add(value);
      this.cached = new Redactor([...values]);
    }
    return this.cached;
  }

  close(): void {
    this.subscription?.unsubscribe();
  }

  private onEvent(event: StoredEvent): void {
    if (USER_SECRET_BEARING.has(event.type)) {
      this.onUserEvent(event);
      return;
    }
    if (!SECRET_BEARING.has(event.type)) return;
    const data = event.data as SealedFields & { serverId: string; changes?: SealedFields };
    try {
      if (event.type === 'ServerRemoved') this.byServer.delete(data.serverId);
      else if (event.type === 'ServerReconfigured') this.byServer.set(data.serverId, withSealedSettings(this.secrets, data.changes ?? {}, this.byServer.get(data.serverId) ?? NO_SECRETS));
      else this.byServer.set(data.serverId, withSealedSettings(this.secrets, { env: data.env ?? {}, headers: data.headers ?? {}, bearerToken: data.bearerToken ?? null }, NO_SECRETS));
    } catch {
      // A secret that cannot be opened (lost data key) cannot leak either.
    }
    this.cached = null;
  }

  private onUserEvent(event: StoredEvent): void {
    const data = event.data as SealedUserSecrets;
    const key = `${data.serverId}/${data.userId}`;
    // A removed credential stays covered: records already queued may still hold it.
    if (event.type === 'UserCredentialsSet') {
      try {
        this.byUser.set(key, [...new Set([...(this.byUser.get(key) ?? []), ...openUserSecrets(this.secrets, data)])]);
      } catch {
        // A secret that cannot be opened (lost data key) cannot leak either.
      }
    }
    this.cached = null;
  }
}
