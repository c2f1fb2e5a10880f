import { IsISO8601, IsOptional, IsString, Length, ValidateIf } from 'class-validator';

const nullable = (_: object, value: unknown): boolean => value !== null && value !== undefined;

export class CreatePersonalAccessTokenDto {
  @IsString() @Length(1, 128) name: string;
  @IsOptional() @ValidateIf(nullable) @IsISO8601({ strict: true }) expiresAt?: string | null;
}
