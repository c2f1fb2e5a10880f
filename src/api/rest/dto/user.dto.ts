import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { ROLES, type Role } from '../../../domain/user';

export class CreateUserDto {
  @IsString() @Length(1, 64) name: string;
  @IsIn(ROLES) role: Role;
  @IsString() @Length(1, 1024) password: string;
}

export class UpdateUserDto {
  @IsOptional() @IsString() @Length(1, 64) name?: string;
  @IsOptional() @IsIn(ROLES) role?: Role;
  @IsOptional() @IsIn(['enabled', 'disabled']) status?: 'enabled' | 'disabled';
  @IsOptional() @IsString() @Length(1, 1024) password?: string;
}
