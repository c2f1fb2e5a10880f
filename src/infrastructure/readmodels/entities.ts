import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Read models of the configuration, kept up to date inline with every append (see
 * ../projections). JSON columns hold text; secret-bearing ones hold sealed secrets only.
 * Column names follow the seed schemas where they apply (MetaMCP's mcp_servers,
 * namespace_tool_mappings, api_keys, config; the Local MCP Gateway's profiles and
 * profile_mcp_servers).
 */
@Entity('servers')
export class ServerRow {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('text') transport: string;
  @Column('text', { nullable: true }) command: string | null;
  @Column('text') args: string;
  @Column('text') env: string;
  @Column('text', { nullable: true }) cwd: string | null;
  @Column('text', { nullable: true }) url: string | null;
  @Column('text') headers: string;
  @Column('text', { name: 'bearer_token', nullable: true }) bearerToken: string | null;
  @Column('integer', { name: 'timeout_ms', nullable: true }) timeoutMs: number | null;
  @Column('text') isolation: 'shared' | 'per_session';
  @Column('text') status: 'active' | 'removed';
  @Column('text', { name: 'tools_fingerprint', nullable: true }) toolsFingerprint: string | null;
  @Column('text', { name: 'tools_discovered_at', nullable: true }) toolsDiscoveredAt: string | null;
  @Column('integer') version: number;
  @Column('text', { name: 'created_at' }) createdAt: string;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
  @Column('text', { name: 'removed_at', nullable: true }) removedAt: string | null;
}

@Entity('tools')
export class ToolRow {
  @PrimaryColumn('text', { name: 'server_id' }) serverId: string;
  @PrimaryColumn('text') name: string;
  @Column('text', { nullable: true }) title: string | null;
  @Column('text', { nullable: true }) description: string | null;
  @Column('text', { name: 'input_schema' }) inputSchema: string;
  @Column('text', { name: 'output_schema', nullable: true }) outputSchema: string | null;
  @Column('text', { nullable: true }) annotations: string | null;
  @Column('text', { name: 'discovered_at' }) discoveredAt: string;
}

@Entity('profiles')
export class ProfileRow {
  @PrimaryColumn('text') id: string;
  @Column('text') slug: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('text', { name: 'tool_prefix' }) toolPrefix: string;
  @Column('integer', { name: 'auth_api_key' }) authApiKey: number;
  @Column('integer', { name: 'auth_query_param' }) authQueryParam: number;
  @Column('integer', { name: 'debug_logging' }) debugLogging: number;
  @Column('text') status: 'active' | 'deleted';
  @Column('integer') version: number;
  @Column('text', { name: 'created_at' }) createdAt: string;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
  @Column('text', { name: 'deleted_at', nullable: true }) deletedAt: string | null;
}

@Entity('profile_servers')
export class ProfileServerRow {
  @PrimaryColumn('text', { name: 'profile_id' }) profileId: string;
  @PrimaryColumn('text', { name: 'server_id' }) serverId: string;
  @Column('text') status: 'active' | 'inactive';
  @Column('integer') position: number;
  @Column('text', { name: 'created_at' }) createdAt: string;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
}

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

@Entity('api_keys')
export class ApiKeyRow {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text', { name: 'key_hash' }) keyHash: string;
  @Column('text') prefix: string;
  @Column('text') profiles: string;
  @Column('text') status: 'active' | 'revoked';
  @Column('text', { name: 'expires_at', nullable: true }) expiresAt: string | null;
  @Column('text', { name: 'revoked_at', nullable: true }) revokedAt: string | null;
  @Column('integer') version: number;
  @Column('text', { name: 'created_at' }) createdAt: string;
}

@Entity('settings')
export class SettingRow {
  @PrimaryColumn('text') key: string;
  @Column('text') value: string;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
}

export const READ_MODEL_ENTITIES = [ServerRow, ToolRow, ProfileRow, ProfileServerRow, ProfileToolRow, ApiKeyRow, SettingRow];
