import { Type } from 'class-transformer';
import {
  IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min, ValidateIf, ValidateNested,
} from 'class-validator';
import {
  AUTH_MODES, LINK_STATUSES, MAX_ADAPTIVE_TOOL_LIMIT, type AuthMode, TOOL_EXPOSURE_MODES, TOOL_PREFIX_MODES, type LinkStatus, type ToolExposureMode, type ToolPrefixMode,
} from '../../../domain/profile/events';
import { IsBoundedObject, IsOmittable } from './validators';

const nullable = (_: object, value: unknown): boolean => value !== null && value !== undefined;

export class ProfileAuthDto {
  @IsOmittable() @IsBoolean() apiKey?: boolean;
  @IsOmittable() @IsBoolean() queryParam?: boolean;
  @IsOmittable() @IsIn(AUTH_MODES) mode?: AuthMode;
}

export class CreateProfileDto {
  @IsString() @Length(1, 63) slug: string;
  @IsOmittable() @IsString() @Length(1, 128) name?: string;
  @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(2000) description?: string | null;
  @IsOmittable() @IsIn(TOOL_PREFIX_MODES) toolPrefix?: ToolPrefixMode;
  @IsOmittable() @IsIn(TOOL_EXPOSURE_MODES) toolExposure?: ToolExposureMode;
  @IsOmittable() @IsInt() @Min(1) @Max(MAX_ADAPTIVE_TOOL_LIMIT) adaptiveToolLimit?: number;
  @IsOmittable() @ValidateNested() @Type(() => ProfileAuthDto) auth?: ProfileAuthDto;
  @IsOmittable() @IsBoolean() debugLogging?: boolean;
}

export class UpdateProfileDto {
  @IsOmittable() @IsString() @Length(1, 63) slug?: string;
  @IsOmittable() @IsString() @Length(1, 128) name?: string;
  @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(2000) description?: string | null;
  @IsOmittable() @IsIn(TOOL_PREFIX_MODES) toolPrefix?: ToolPrefixMode;
  @IsOmittable() @IsIn(TOOL_EXPOSURE_MODES) toolExposure?: ToolExposureMode;
  @IsOmittable() @IsInt() @Min(1) @Max(MAX_ADAPTIVE_TOOL_LIMIT) adaptiveToolLimit?: number;
  @IsOmittable() @ValidateNested() @Type(() => ProfileAuthDto) auth?: ProfileAuthDto;
  @IsOmittable() @IsBoolean() debugLogging?: boolean;
}

/** POST /api/profiles/:slug/clone: the copy's slug, and optionally its name and description (the source's otherwise). */
export class CloneProfileDto {
  @IsString() @Length(1, 63) slug: string;
  @IsOmittable() @IsString() @Length(1, 128) name?: string;
  @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(2000) description?: string | null;
}

export class AttachServerDto {
  @IsOmittable() @IsIn(LINK_STATUSES) status?: LinkStatus;
}

/** PATCH of one tool in a profile: absent leaves a field as it is, null clears the override. */
export class ToolPatchDto {
  @IsOmittable() @IsIn(LINK_STATUSES) status?: LinkStatus;
  @IsOptional() @ValidateIf(nullable) @IsString() @Length(1, 64) name?: string | null;
  @IsOptional() @ValidateIf(nullable) @IsString() @Length(1, 256) title?: string | null;
  @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(10_000) description?: string | null;
  @IsOptional() @ValidateIf(nullable) @IsBoundedObject(16_384) annotations?: Record<string, unknown> | null;
}

export class RevertDto {
  @IsInt() @Min(0) to: number;
}
