import type { Observable, Subscription } from 'rxjs';
import type { SecretBox } from '../crypto';
import type { Sql, StoredEvent } from '../eventstore';
import { loadServerSpec } from '../proxy/profile-config';
import type { UpstreamSpec } from '../upstream';
import { Redactor } from './redaction';

/** The plaintext values a spec carries that must never be logged or stored. */
export const secretValuesOf = (spec: UpstreamSpec): string[] => {
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

/**
 * A redactor that knows every configured secret value (the env, header and bearer values of
 * every active server, decrypted in memory only) plus fixed ones such as the admin token.
 * It is rebuilt lazily after a server event, so a rotated secret is covered from the next
 * record on; callers capture the redactor at record time, so the old value stays covered for
 * records already queued.
 */
export class SecretValues {
  private cached: Redactor | null = null;
  private readonly subscription: Subscription | null;

  constructor(
    private readonly sql: Sql,
    private readonly secrets: SecretBox,
    /** Secrets that are not server configuration (the admin token); read at every rebuild. */
    private readonly extra: () => readonly string[] = () => [],
    committed$?: Observable<StoredEvent>,
  ) {
    this.subscription = committed$?.subscribe((event) => {
      if (event.streamId.startsWith('server-')) this.cached = null;
    }) ?? null;
  }

  redactor(): Redactor {
    this.cached ??= this.load();
    return this.cached;
  }

  close(): void {
    this.subscription?.unsubscribe();
  }

  private load(): Redactor {
    const values = [...this.extra()];
    for (const { id } of this.sql.all<{ id: string }>(`SELECT id FROM servers WHERE status = 'active'`)) {
      try {
        const spec = loadServerSpec(this.sql, this.secrets, id);
        if (spec) values.push(...secretValuesOf(spec));
      } catch {
        // A secret that cannot be opened (lost data key) cannot leak either: skip that server.
      }
    }
    return new Redactor(values);
  }
}
