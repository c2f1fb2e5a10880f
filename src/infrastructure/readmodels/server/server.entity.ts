import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Servers as configured now, removed ones included (addressable by id). JSON columns hold text;
 * secret-bearing ones (env, headers, bearer token) hold sealed secrets only. Column names follow
 * MetaMCP's mcp_servers where they apply.
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
  /** JSON: the names of the headers declared secret (never sent on a per-user connection). */
  @Column('text', { name: 'secret_headers' }) secretHeaders: string;
  @Column('text', { name: 'bearer_token', nullable: true }) bearerToken: string | null;
  @Column('integer', { name: 'timeout_ms', nullable: true }) timeoutMs: number | null;
  @Column('text') isolation: 'shared' | 'per_session';
  @Column('text', { name: 'tool_pinning' }) toolPinning: 'off' | 'changes' | 'all';
  @Column('text') credentials: 'shared' | 'per_user';
  /** JSON: the approved tool definitions ({name, hash, definition}[]), by name. */
  @Column('text', { name: 'approved_tools' }) approvedTools: string;
  /** 1 while the first discovery is approved in advance and has not happened yet. */
  @Column('integer', { name: 'approve_first_discovery' }) approveFirstDiscovery: number;
  @Column('text') status: 'active' | 'removed';
  @Column('text', { name: 'tools_fingerprint', nullable: true }) toolsFingerprint: string | null;
  @Column('text', { name: 'tools_discovered_at', nullable: true }) toolsDiscoveredAt: string | null;
  @Column('integer') version: number;
  @Column('text', { name: 'created_at' }) createdAt: string;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
  @Column('text', { name: 'removed_at', nullable: true }) removedAt: string | null;
}
