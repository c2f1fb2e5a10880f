import type { ServerEvent } from '../../domain/server/events';
import type { StoredEvent } from '../eventstore';
import type { ProxyProfile } from './profile-config';

export type ProfileKey = Readonly<{ slug: string } | { id: string }>;

/** Reads one active profile from the read models and opens its secrets; null when there is none. */
export type ProfileLoader = (key: ProfileKey) => Promise<ProxyProfile | null>;

/**
 * Whether a server event changes what a profile holding the server holds (its spec, its name,
 * its approved tools). Every server event is here, so that a new one does not compile until it
 * is decided.
 */
const CHANGES_HOLDING_PROFILES: Readonly<Record<ServerEvent['type'], boolean>> = {
  ServerRegistered: false, // no profile holds it yet
  ServerReconfigured: true, // its spec
  ServerRenamed: true, // its name
  ServerRemoved: true, // it leaves the profiles
  ServerRestored: true, // it is back, with the spec it is restored to
  ServerToolsDiscovered: false, // the tools it lists are the catalog's, not the snapshot's
  ToolDefinitionApproved: true, // its approved tools
  ToolApprovalsRestored: true, // the same, replaced whole
};

/** The server events that drop the snapshots of the profiles holding the server. */
const SERVER_SPEC_EVENTS: ReadonlySet<string> = new Set(Object.entries(CHANGES_HOLDING_PROFILES).filter(([, changes]) => changes).map(([type]) => type));

/**
 * The profiles the proxy serves, as immutable snapshots, by id and by slug. A snapshot is read
 * once and kept until an event changes it; events are applied as they are committed (this
 * process's own synchronously, before the writer's response goes out), so no request is served
 * an older configuration than a fresh read would give. A request looks its profile up here once;
 * nothing on the proxy path reads the database for it.
 */
export class ProfileDirectory {
  private readonly profiles = new Map<string, ProxyProfile>();
  private readonly idsBySlug = new Map<string, string>();
  /** Bumped by every change, so that a read that began before one is not kept. */
  private generation = 0;

  constructor(private readonly load: ProfileLoader) {}

  async byId(profileId: string): Promise<ProxyProfile | null> {
    return this.profiles.get(profileId) ?? this.fetch({ id: profileId });
  }

  async bySlug(slug: string): Promise<ProxyProfile | null> {
    const id = this.idsBySlug.get(slug);
    const cached = id === undefined ? undefined : this.profiles.get(id);
    return cached ?? this.fetch({ slug });
  }

  /** Forgets the snapshots that an event changes. */
  apply(event: StoredEvent): void {
    // Whatever its type, an event on a profile's own stream changes that profile.
    if (event.streamId.startsWith('profile-')) {
      this.generation += 1;
      this.forget((event.data as { profileId: string }).profileId);
      return;
    }
    if (!SERVER_SPEC_EVENTS.has(event.type)) return;
    this.generation += 1;
    const { serverId } = event.data as { serverId: string };
    for (const profile of [...this.profiles.values()]) {
      if (profile.servers.some((spec) => spec.id === serverId)) this.forget(profile.id);
    }
  }

  private async fetch(key: ProfileKey): Promise<ProxyProfile | null> {
    const generation = this.generation;
    const profile = await this.load(key);
    if (profile !== null && generation === this.generation) {
      this.profiles.set(profile.id, profile);
      this.idsBySlug.set(profile.slug, profile.id);
    }
    return profile;
  }

  private forget(profileId: string): void {
    const profile = this.profiles.get(profileId);
    if (profile === undefined) return;
    this.profiles.delete(profileId);
    if (this.idsBySlug.get(profile.slug) === profileId) this.idsBySlug.delete(profile.slug);
  }
}
