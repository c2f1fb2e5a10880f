/**
 * Domain errors carry a stable `code`. The REST layer maps every code to an HTTP status in one
 * exhaustive table (src/api/rest/problem.ts), so adding a code here does not compile until it
 * is mapped there.
 */
export const DOMAIN_ERROR_CODES = [
  'INVALID_NAME',
  'INVALID_SLUG',
  'INVALID_SERVER_CONFIG',
  'INVALID_ARGUMENT',
  'SERVER_NOT_FOUND',
  'SERVER_ALREADY_EXISTS',
  'SERVER_REMOVED',
  'SERVER_NAME_TAKEN',
  'SERVER_NOT_ATTACHED',
  'PROFILE_NOT_FOUND',
  'PROFILE_ALREADY_EXISTS',
  'PROFILE_DELETED',
  'PROFILE_SLUG_TAKEN',
  'TOOL_NAME_TAKEN',
  'TOOL_NOT_FOUND',
  'APIKEY_NOT_FOUND',
  'APIKEY_ALREADY_EXISTS',
  'APIKEY_REVOKED',
  'NOTHING_TO_REVERT',
  'OAUTH_CLIENT_MISMATCH',
  'OAUTH_UNSUPPORTED',
  'OAUTH_UPSTREAM_ERROR',
  'OAUTH_STATE_INVALID',
  'OAUTH_AUTHORIZATION_DENIED',
  'OAUTH_SIGN_IN_REQUIRED',
  'OAUTH_WRONG_USER',
  'USER_DISABLED',
  'USER_NOT_FOUND',
  'USER_ALREADY_EXISTS',
  'USER_NAME_TAKEN',
  'LAST_OWNER',
  'TOKEN_NOT_FOUND',
  'TOKEN_ALREADY_EXISTS',
  'SETUP_ALREADY_DONE',
  'INVALID_CREDENTIALS',
  'CREDENTIALS_NOT_PER_USER',
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/** What went wrong, in words: an Error's message, or anything else thrown as text. */
export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));
