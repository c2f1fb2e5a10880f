import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Owner and visibility of profiles and servers; a resource without a row is private to admins. */
@Entity('resource_access')
export class AccessRow {
  @PrimaryColumn('text') kind: 'profile' | 'server';
  @PrimaryColumn('text', { name: 'resource_id' }) resourceId: string;
  @Column('text', { name: 'owner_id', nullable: true }) ownerId: string | null;
  @Column('text') visibility: 'private' | 'shared';
  /** JSON arrays of user ids and of roles. */
  @Column('text', { name: 'shared_with_users' }) sharedWithUsers: string;
  @Column('text', { name: 'shared_with_roles' }) sharedWithRoles: string;
  @Column('integer') version: number;
}
