import {
  ArrayMaxSize, IsArray, IsOptional, IsString, Length, Matches, ValidateIf, registerDecorator,
} from 'class-validator';

/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const nullable = (_: object, value: unknown): boolean => value !== null && value !== undefined;

/** The property may only be given together with `other` (a secret without its client id means nothing). */
const OnlyWith = (other: string) =>
  (target: object, propertyName: string): void => {
    registerDecorator({
      name: 'onlyWith',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} needs ${other}` },
      validator: { validate: (_value: unknown, args) => (args?.object as Record<string, unknown>)[other] !== undefined },
    });
  };

/**
 * POST /api/servers/:idOrName/oauth/authorize. Everything is optional: without a client id
 * Gatehouse reuses its registration or registers dynamically (RFC 7591); without scopes it asks
 * for what the upstream's challenge or metadata names.
 */
export class AuthorizeOAuthDto {
  /** A client registered by hand at the authorization server, stored (the secret encrypted) and reused. */
  @IsOptional() @IsString() @Length(1, 1024) clientId?: string;
  @IsOptional() @ValidateIf(nullable) @OnlyWith('clientId') @IsString() @Length(1, 4096) clientSecret?: string | null;
  @IsOptional() @IsArray() @ArrayMaxSize(64) @IsString({ each: true }) @Length(1, 256, { each: true })
  @Matches(SCOPE_TOKEN, { each: true, message: 'each scope must be a scope token (no spaces or quotes)' })
  scopes?: string[];
}

/** A user's own authorization of a per-user server: the server's client is used (an admin's concern), only the scopes may be asked. */
export class AuthorizeOwnOAuthDto {
  @IsOptional() @IsArray() @ArrayMaxSize(64) @IsString({ each: true }) @Length(1, 256, { each: true })
  @Matches(SCOPE_TOKEN, { each: true, message: 'each scope must be a scope token (no spaces or quotes)' })
  scopes?: string[];
}

/** A client registered by hand at the server's authorization server (PUT /api/servers/:s/oauth/client). */
export class RegisterOAuthClientDto {
  @IsString() @Length(1, 1024) clientId: string;
  @IsOptional() @ValidateIf(nullable) @IsString() @Length(1, 4096) clientSecret?: string | null;
}
