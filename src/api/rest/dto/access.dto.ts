import { ArrayMaxSize, IsArray, IsIn, IsString, Length, ValidateIf } from 'class-validator';
import { ROLES, type Role } from '../../../domain/user';

/** PUT /api/{profiles,servers}/:x/access: the whole access, users by name or id. */
export class AccessDto {
  @ValidateIf((_, value) => value !== null) @IsString() @Length(1, 64) owner: string | null;
  @IsIn(['private', 'shared']) visibility: 'private' | 'shared';
  @IsArray() @ArrayMaxSize(256) @IsString({ each: true }) @Length(1, 64, { each: true }) sharedWithUsers: string[];
  @IsArray() @ArrayMaxSize(3) @IsIn(ROLES, { each: true }) sharedWithRoles: Role[];
}
