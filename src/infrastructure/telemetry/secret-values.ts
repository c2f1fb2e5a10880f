import type { Observable, Subscription } from 'rxjs';
import type { EntityManager } from 'typeorm';
import type { SealedMap, SealedSecret } from '../../domain/shared';
import { openMap, type SecretBox } from '../crypto';
import type { StoredEvent } from '../eventstore';
import { toUpstreamSpec } from '../proxy/profile-config';
import { ServerReadModel } from '../readmodels/server';
import type { UpstreamSpec } from '../upstream';
import { Redactor } from './redaction';

type SecretFields = Pick<UpstreamSpec, 'env' | 'headers' | 'bearerToken'>;

/** The plaintext values a spec carries that must never be logged or stored. */
export const secretValuesOf = (spec: SecretFields): string[] => {
  const values: string[] = [...Object.values(spec.env)];
  for (const header of Object.values(spec.headers)) {
    values.push(header);
    // `Authorization: Bearer <token>`: the token alone is as secret as the whole value.
    const credential = /^\S+\s+(\S+)$/.exec(header.trim());
    if (credential) values.push(credential[1]);
  }
  if (spec.bearerToken !== null) values.push(spec.bearerToken);
  return values;
};

type SealedFields = Partial<{ env: SealedMap; headers: SealedMap; bearerToken: SealedSecret | null }>;

/** The secrets a server event brings (a registration, a restore, a reconfiguration), opened. */
const secretsOfEvent = (secrets: SecretBox, event: StoredEvent): string[] => {
  const data = event.data as SealedFields & { changes?: SealedFields };
  const fields = event.type === 'ServerReconfigured' ? (data.changes ?? {}) : data;
  const bearer = fields.bearerToken ?? null;
  return secretValuesOf({ env: openMap(secrets, fields.env ?? {}), headers: openMap(secrets, fields.headers ?? {}), bearerToken: bearer === null ? null : secrets.open(bearer) });
};

const SECRET_BEARING = new Set(['ServerRegistered', 'ServerRestored', 'ServerReconfigured']);

/**
 * A redactor that knows every configured secret value (the env, header and bearer values of
 * every active server, decrypted in memory only) plus fixed ones such as the admin token.
 * The values a server event brings are added the moment it is committed, so a rotated secret is
 * covered from the next record on; the whole set is then read again from the read models (which
 * also forgets the values of removed servers). Callers capture the redactor at record time, so
 * the old value stays covered for records already queued.
 */
export class SecretValues {
  private values: ReadonlySet<string> = new Set();
  private cached: Redactor | null = null;
  private readonly subscription: Subscription | null;
  private reloading: Promise<void> | null = null;
  private reloadAgain = false;
  /** Counts the events that added values, so a reload that began before one keeps them. */
  private added = 0;

  constructor(
    private readonly reads: EntityManager,
    private readonly secrets: SecretBox,
    /** Secrets that are not server configuration (the admin token); read at every rebuild. */
    private readonly extra: () => readonly string[] = () => [],
    events$?: Observable<StoredEvent>,
  ) {
    this.subscription = events$?.subscribe((event) => this.onEvent(event)) ?? null;
  }

  /** Reads the servers' secrets (at start, and after changes). */
  reload(): Promise<void> {
    if (this.reloading !== null) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = this.load().finally(() => {
      this.reloading = null;
      if (this.reloadAgain) {
        this.reloadAgain = false;
        void this.reload();
      }
    });
    return this.reloading;
  }

  redactor(): Redactor {
    this.cached ??= new Redactor([...this.extra(), ...this.values]);
    return this.cached;
  }

  close(): void {
    this.subscription?.unsubscribe();
  }

  private onEvent(event: StoredEvent): void {
    if (!event.streamId.startsWith('server-')) return;
    if (SECRET_BEARING.has(event.type)) {
      try {
        this.values = new Set([...this.values, ...secretsOfEvent(this.secrets, event)]);
        this.added += 1;
        this.cached = null;
      } catch {
        // A secret that cannot be opened (lost data key) cannot leak either.
      }
    }
    void this.reload();
  }

  private async load(): Promise<void> {
    const added = this.added;
    const values = new Set<string>();
    for (const row of await new ServerReadModel(this.reads).list()) {
      try {
        for (const value of secretValuesOf(toUpstreamSpec(this.secrets, row))) values.add(value);
      } catch {
        // A secret that cannot be opened (lost data key) cannot leak either: skip that server.
      }
    }
    this.values = added === this.added ? values : new Set([...values, ...this.values]);
    this.cached = null;
  }
}
