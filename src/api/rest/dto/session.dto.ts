import { IsString, Length } from 'class-validator';

export class SignInDto {
  @IsString() @Length(1, 256) name: string;
  @IsString() @Length(1, 1024) password: string;
}

export class ChangeOwnPasswordDto {
  @IsString() @Length(1, 1024) currentPassword: string;
  @IsString() @Length(1, 1024) newPassword: string;
}
