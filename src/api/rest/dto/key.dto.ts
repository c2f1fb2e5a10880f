import { ArrayMaxSize, ArrayMinSize, IsArray, IsISO8601, IsOptional, IsString, Length, ValidateIf } from 'class-validator';

const nullable = (_: object, value: unknown): boolean => value !== null && value !== undefined;

export class CreateKeyDto {
  @IsString() @Length(1, 128) name: string;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(256) @IsString({ each: true }) @Length(1, 63, { each: true }) profiles: string[];
  @IsOptional() @ValidateIf(nullable) @IsISO8601({ strict: true }) expiresAt?: string | null;
}
