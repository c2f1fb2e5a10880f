import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Profiles as configured now, deleted ones included. Column names follow the Local MCP
 * Gateway's profiles where they apply. Booleans are 0/1.
 */
@Entity('profiles')
export class ProfileRow {
  @PrimaryColumn('text') id: string;
  @Column('text') slug: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('text', { name: 'tool_prefix' }) toolPrefix: string;
  @Column('text', { name: 'tool_exposure' }) toolExposure: string;
  @Column('integer', { name: 'adaptive_tool_limit' }) adaptiveToolLimit: number;
  @Column('integer', { name: 'auth_api_key' }) authApiKey: number;
  @Column('integer', { name: 'auth_query_param' }) authQueryParam: number;
  /** `api_keys`, `oauth` or `both` (see ProfileAuth.mode). */
  @Column('text', { name: 'auth_mode' }) authMode: string;
  @Column('integer', { name: 'debug_logging' }) debugLogging: number;
  @Column('text') status: 'active' | 'deleted';
  @Column('integer') version: number;
  @Column('text', { name: 'created_at' }) createdAt: string;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
  @Column('text', { name: 'deleted_at', nullable: true }) deletedAt: string | null;
}

/** The servers attached to each active profile, in attach order (`position`). */
@Entity('profile_servers')
export class ProfileServerRow {
  @PrimaryColumn('text', { name: 'profile_id' }) profileId: string;
  @PrimaryColumn('text', { name: 'server_id' }) serverId: string;
  @Column('text') status: 'active' | 'inactive';
  @Column('integer') position: number;
  @Column('text', { name: 'created_at' }) createdAt: string;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
}

/** A profile's settings for one upstream tool; a tool at the defaults (active, no override) has no row. */
@Entity('profile_tools')
export class ProfileToolRow {
  @PrimaryColumn('text', { name: 'profile_id' }) profileId: string;
  @PrimaryColumn('text', { name: 'server_id' }) serverId: string;
  @PrimaryColumn('text', { name: 'tool_name' }) toolName: string;
  @Column('text') status: 'active' | 'inactive';
  @Column('text', { name: 'override_name', nullable: true }) overrideName: string | null;
  @Column('text', { name: 'override_title', nullable: true }) overrideTitle: string | null;
  @Column('text', { name: 'override_description', nullable: true }) overrideDescription: string | null;
  @Column('text', { name: 'override_annotations', nullable: true }) overrideAnnotations: string | null;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
}

/** Each time a profile took a slug, and at which global position (time travel by slug). */
@Entity('profile_slugs')
export class ProfileSlugRow {
  @PrimaryColumn('text') slug: string;
  @PrimaryColumn('integer') position: number;
  @PrimaryColumn('text', { name: 'profile_id' }) profileId: string;
}

export const PROFILE_ENTITIES = [ProfileRow, ProfileServerRow, ProfileToolRow, ProfileSlugRow];
