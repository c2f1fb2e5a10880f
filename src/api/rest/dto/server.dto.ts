import {
  ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min, ValidateIf,
} from 'class-validator';
import type { EnvInput } from '../../../domain/server/env';
import {
  CREDENTIAL_MODES, ISOLATIONS, TOOL_PINNINGS, TRANSPORTS, type CredentialMode, type Isolation, type ToolPinning, type Transport,
} from '../../../domain/server/events';
import { IsEnvRecord, IsHttpUrl, IsOmittable, IsStringRecord } from './validators';

const RECORD_LIMITS = { maxKeys: 128, maxKeyLength: 256, maxValueLength: 8192 };
const nullable = (_: object, value: unknown): boolean => value !== null && value !== undefined;

export class CreateServerDto {
  @IsString() @Length(1, 64) name: string;
  @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(2000) description?: string | null;
  @IsIn(TRANSPORTS) transport: Transport;
  @IsOptional() @ValidateIf(nullable) @IsString() @Length(1, 4096) command?: string | null;
  @IsOmittable() @IsArray() @ArrayMaxSize(256) @IsString({ each: true }) @MaxLength(8192, { each: true }) args?: string[];
  @IsOmittable() @IsEnvRecord(RECORD_LIMITS) env?: Record<string, EnvInput>;
  @IsOptional() @ValidateIf(nullable) @IsString() @Length(1, 4096) cwd?: string | null;
  @IsOptional() @ValidateIf(nullable) @IsHttpUrl() url?: string | null;
  @IsOmittable() @IsEnvRecord(RECORD_LIMITS) headers?: Record<string, EnvInput>;
  @IsOptional() @ValidateIf(nullable) @IsString() @Length(1, 8192) bearerToken?: string | null;
  @IsOptional() @ValidateIf(nullable) @IsInt() @Min(1) @Max(600_000) timeoutMs?: number | null;
  @IsOptional() @IsIn(ISOLATIONS) isolation?: Isolation;
  @IsOmittable() @IsIn(TOOL_PINNINGS) toolPinning?: ToolPinning;
  @IsOmittable() @IsIn(CREDENTIAL_MODES) credentials?: CredentialMode;
  /** With tool pinning: approve what the first discovery finds (the user trusts the server as it is now). */
  @IsOmittable() @IsBoolean() approveFirstDiscovery?: boolean;
}

/** PATCH: every field optional; `null` clears a nullable field. */
export class UpdateServerDto {
  @IsOmittable() @IsString() @Length(1, 64) name?: string;
  @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(2000) description?: string | null;
  @IsOmittable() @IsIn(TRANSPORTS) transport?: Transport;
  @IsOptional() @ValidateIf(nullable) @IsString() @Length(1, 4096) command?: string | null;
  @IsOmittable() @IsArray() @ArrayMaxSize(256) @IsString({ each: true }) @MaxLength(8192, { each: true }) args?: string[];
  @IsOmittable() @IsEnvRecord(RECORD_LIMITS) env?: Record<string, EnvInput>;
  @IsOptional() @ValidateIf(nullable) @IsString() @Length(1, 4096) cwd?: string | null;
  @IsOptional() @ValidateIf(nullable) @IsHttpUrl() url?: string | null;
  @IsOmittable() @IsEnvRecord(RECORD_LIMITS) headers?: Record<string, EnvInput>;
  @IsOptional() @ValidateIf(nullable) @IsString() @Length(1, 8192) bearerToken?: string | null;
  @IsOptional() @ValidateIf(nullable) @IsInt() @Min(1) @Max(600_000) timeoutMs?: number | null;
  @IsOptional() @IsIn(ISOLATIONS) isolation?: Isolation;
  @IsOmittable() @IsIn(TOOL_PINNINGS) toolPinning?: ToolPinning;
  @IsOmittable() @IsIn(CREDENTIAL_MODES) credentials?: CredentialMode;
}

/** Approves the named tools' current definitions; every pending tool when `tools` is absent. */
export class ApproveToolsDto {
  @IsOmittable() @IsArray() @ArrayMaxSize(1000) @IsString({ each: true }) @Length(1, 256, { each: true }) tools?: string[];
}

/** PUT /api/servers/:s/credentials: the caller's own credentials, replacing those set before. */
export class SetUserCredentialsDto {
  @IsOptional() @ValidateIf(nullable) @IsString() @Length(1, 8192) bearerToken?: string | null;
  @IsOmittable() @IsStringRecord(RECORD_LIMITS) env?: Record<string, string>;
}
