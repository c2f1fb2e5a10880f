import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The tools each server reported at its last `tools/list` that changed them (ServerToolsDiscovered). */
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
