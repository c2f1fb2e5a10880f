import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Length } from 'class-validator';

/** Ranges are checked by the settings decider, so the rule lives in one place. */
export class SettingsPatchDto {
  @IsOptional() @IsInt() requestTimeoutMs?: number;
  @IsOptional() @IsInt() connectTimeoutMs?: number;
  @IsOptional() @IsInt() sessionIdleTimeoutMs?: number;
  @IsOptional() @IsInt() logRetentionDays?: number;
  @IsOptional() @IsInt() logMaxRows?: number;
  @IsOptional() @IsInt() logPayloadMaxBytes?: number;
  @IsOptional() @IsInt() maxProcessesPerServer?: number;
  @IsOptional() @IsArray() @ArrayMaxSize(256) @IsString({ each: true }) @Length(1, 253, { each: true }) upstreamAllowedHosts?: string[];
}
