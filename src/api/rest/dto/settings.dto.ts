import { ArrayMaxSize, IsArray, IsInt, IsString, Length } from 'class-validator';
import { IsOmittable } from './validators';

/** Ranges are checked by the settings decider, so the rule lives in one place. */
export class SettingsPatchDto {
  @IsOmittable() @IsInt() requestTimeoutMs?: number;
  @IsOmittable() @IsInt() connectTimeoutMs?: number;
  @IsOmittable() @IsInt() sessionIdleTimeoutMs?: number;
  @IsOmittable() @IsInt() logRetentionDays?: number;
  @IsOmittable() @IsInt() logMaxRows?: number;
  @IsOmittable() @IsInt() logPayloadMaxBytes?: number;
  @IsOmittable() @IsInt() maxProcessesPerServer?: number;
  @IsOmittable() @IsArray() @ArrayMaxSize(256) @IsString({ each: true }) @Length(1, 253, { each: true }) upstreamAllowedHosts?: string[];
}
