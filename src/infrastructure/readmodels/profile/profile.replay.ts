import type { EntityManager } from 'typeorm';
import type { ProjectionReplay, StoredEvent } from '../../eventstore';
import { insertRows } from '../../persistence/bulk-insert';
import { ProfileRow, ProfileServerRow, ProfileSlugRow, ProfileToolRow } from './profile.entities';
import { applyProfileEvent, type Overrides, type ProfileValues, type ProfileWrites, type ToolKey } from './profile.writes';

const toolId = (key: ToolKey): string => `${key.serverId}\u0000${key.toolName}`;

/** The rows of a profile's table, by key, in a map per profile. */
const rowsOf = <Row>(tables: Map<string, Map<string, Row>>, profileId: string): Map<string, Row> => {
  let rows = tables.get(profileId);
  if (rows === undefined) {
    rows = new Map();
    tables.set(profileId, rows);
  }
  return rows;
};

/**
 * The profile projection's statements (see profile.projection.ts) on rows in memory, for a
 * rebuild: each method does to its rows what its statement does to the table's, and `write`
 * inserts them at the end. The rows are its own, so they are changed in place.
 */
export class ProfileReplay implements ProfileWrites, ProjectionReplay {
  private readonly profiles = new Map<string, ProfileRow>();
  private readonly links = new Map<string, Map<string, ProfileServerRow>>();
  private readonly tools = new Map<string, Map<string, ProfileToolRow>>();
  private readonly slugs = new Map<string, ProfileSlugRow>();

  apply(event: StoredEvent): Promise<void> {
    return applyProfileEvent(this, event);
  }

  async write(manager: EntityManager): Promise<void> {
    await insertRows(manager, ProfileRow, [...this.profiles.values()]);
    await insertRows(manager, ProfileServerRow, [...this.links.values()].flatMap((rows) => [...rows.values()]));
    await insertRows(manager, ProfileToolRow, [...this.tools.values()].flatMap((rows) => [...rows.values()]));
    await insertRows(manager, ProfileSlugRow, [...this.slugs.values()]);
  }

  async recordSlug(slug: string, profileId: string, position: number): Promise<void> {
    const key = `${slug}\u0000${position}\u0000${profileId}`;
    if (!this.slugs.has(key)) this.slugs.set(key, { slug, position, profileId });
  }

  async upsertProfile(values: ProfileValues): Promise<void> {
    const existing = this.profiles.get(values.id);
    if (existing === undefined) this.profiles.set(values.id, { ...values, status: 'active', deletedAt: null });
    else Object.assign(existing, values, { status: 'active', deletedAt: null, createdAt: existing.createdAt });
  }

  async updateProfile(profileId: string, columns: Partial<ProfileRow>): Promise<void> {
    const existing = this.profiles.get(profileId);
    if (existing !== undefined) Object.assign(existing, columns);
  }

  async markDeleted(profileId: string, at: string): Promise<void> {
    const existing = this.profiles.get(profileId);
    if (existing === undefined) return;
    existing.status = 'deleted';
    existing.deletedAt = at;
  }

  async touch(profileId: string, version: number, at: string): Promise<void> {
    const existing = this.profiles.get(profileId);
    if (existing === undefined) return;
    existing.version = version;
    existing.updatedAt = at;
  }

  async upsertLink(profileId: string, serverId: string, status: 'active' | 'inactive', at: string): Promise<void> {
    const links = rowsOf(this.links, profileId);
    const existing = links.get(serverId);
    if (existing !== undefined) {
      existing.status = status;
      existing.updatedAt = at;
      return;
    }
    let last = 0;
    for (const link of links.values()) last = Math.max(last, link.position);
    links.set(serverId, { profileId, serverId, status, position: last + 1, createdAt: at, updatedAt: at });
  }

  async deleteLink(profileId: string, serverId: string): Promise<void> {
    this.links.get(profileId)?.delete(serverId);
  }

  async setLinkStatus(profileId: string, serverId: string, status: 'active' | 'inactive', at: string): Promise<void> {
    const existing = this.links.get(profileId)?.get(serverId);
    if (existing === undefined) return;
    existing.status = status;
    existing.updatedAt = at;
  }

  async clearLinksAndTools(profileId: string): Promise<void> {
    this.links.delete(profileId);
    this.tools.delete(profileId);
  }

  async upsertToolStatus(key: ToolKey, status: 'active' | 'inactive', at: string): Promise<void> {
    const row = this.toolRow(key);
    row.status = status;
    row.updatedAt = at;
  }

  async upsertToolOverrides(key: ToolKey, overrides: Overrides, at: string): Promise<void> {
    const row = this.toolRow(key);
    row.overrideName = overrides.overrideName;
    row.overrideTitle = overrides.overrideTitle;
    row.overrideDescription = overrides.overrideDescription;
    row.overrideAnnotations = overrides.overrideAnnotations;
    row.updatedAt = at;
  }

  async dropIfDefault(key: ToolKey): Promise<void> {
    const tools = this.tools.get(key.profileId);
    const row = tools?.get(toolId(key));
    if (row === undefined || row.status !== 'active') return;
    if (row.overrideName === null && row.overrideTitle === null && row.overrideDescription === null && row.overrideAnnotations === null) tools?.delete(toolId(key));
  }

  /** The tool's row, created at the defaults (active, nothing overridden) when it has none; its caller sets the rest. */
  private toolRow(key: ToolKey): ProfileToolRow {
    const tools = rowsOf(this.tools, key.profileId);
    const id = toolId(key);
    let row = tools.get(id);
    if (row === undefined) {
      row = {
        profileId: key.profileId, serverId: key.serverId, toolName: key.toolName, status: 'active', overrideName: null, overrideTitle: null, overrideDescription: null,
        overrideAnnotations: null, updatedAt: '',
      };
      tools.set(id, row);
    }
    return row;
  }
}
