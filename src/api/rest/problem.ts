import { DomainError, type DomainErrorCode } from '../../domain/shared';
import { ConcurrencyError, DuplicateEventError } from '../../infrastructure/eventstore';
import { DatabaseBusyError, isDatabaseUnavailable } from '../../infrastructure/persistence/database-errors';

/** Every domain error code has a status; a new code does not compile until it is mapped here. */
const DOMAIN_STATUS: Record<DomainErrorCode, number> = {
  INVALID_NAME: 400,
  INVALID_SLUG: 400,
  INVALID_SERVER_CONFIG: 400,
  INVALID_ARGUMENT: 400,
  SERVER_NOT_FOUND: 404,
  SERVER_ALREADY_EXISTS: 409,
  SERVER_REMOVED: 409,
  SERVER_NAME_TAKEN: 409,
  SERVER_NOT_ATTACHED: 404,
  PROFILE_NOT_FOUND: 404,
  PROFILE_ALREADY_EXISTS: 409,
  PROFILE_DELETED: 409,
  PROFILE_SLUG_TAKEN: 409,
  TOOL_NAME_TAKEN: 409,
  TOOL_NOT_FOUND: 404,
  APIKEY_NOT_FOUND: 404,
  APIKEY_ALREADY_EXISTS: 409,
  APIKEY_REVOKED: 409,
  NOTHING_TO_REVERT: 409,
  OAUTH_CLIENT_MISMATCH: 409,
  // The upstream or its authorization server cannot do what OAuth for MCP needs (no S256, …).
  OAUTH_UNSUPPORTED: 409,
  // The authorization server or the upstream failed or answered nonsense: not the caller's fault.
  OAUTH_UPSTREAM_ERROR: 502,
  OAUTH_STATE_INVALID: 400,
  OAUTH_AUTHORIZATION_DENIED: 400,
  // A user's own grant is confirmed in a browser signed in to Gatehouse as that user.
  OAUTH_SIGN_IN_REQUIRED: 401,
  OAUTH_WRONG_USER: 403,
  USER_DISABLED: 403,
  USER_NOT_FOUND: 404,
  USER_ALREADY_EXISTS: 409,
  USER_NAME_TAKEN: 409,
  // Demoting or disabling the only enabled owner would leave nobody able to manage users.
  LAST_OWNER: 409,
  TOKEN_NOT_FOUND: 404,
  TOKEN_ALREADY_EXISTS: 409,
  // The first-start setup link creates the owner only while nobody has an account.
  SETUP_ALREADY_DONE: 409,
  INVALID_CREDENTIALS: 400,
  // Per-user credentials apply only to a server whose `credentials` setting is `per_user`.
  CREDENTIALS_NOT_PER_USER: 409,
};

export type FieldError = Readonly<{ field: string; messages: readonly string[] }>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** An error the API answers with as `application/problem+json` (RFC 9457). */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly errors?: readonly FieldError[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(detail);
  }
}

export type ProblemBody = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: readonly FieldError[];
};

const body = (status: number, code: string, detail: string, errors?: readonly FieldError[]): ProblemBody => ({
  type: `https://gatehouse.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
  title: TITLES[status] ?? 'Error',
  status,
  detail,
  code,
  ...(errors ? { errors } : {}),
});

/** Maps anything thrown below the routes to a problem. Only 4xx details are shown to clients. */
export const toProblem = (error: unknown): { body: ProblemBody; headers: Record<string, string> } => {
  if (error instanceof ProblemError) return { body: body(error.status, error.code, error.message, error.errors), headers: { ...error.headers } };
  if (error instanceof DomainError) {
    const field = typeof error.details?.field === 'string' ? [{ field: error.details.field, messages: [error.message] }] : undefined;
    return { body: body(DOMAIN_STATUS[error.code], error.code, error.message, field), headers: {} };
  }
  if (error instanceof ConcurrencyError) {
    return { body: body(412, 'VERSION_MISMATCH', `The resource changed (now at version ${error.actual}); read it again and retry`), headers: {} };
  }
  if (error instanceof DuplicateEventError) return { body: body(409, error.code, error.message), headers: {} };
  if (error instanceof DatabaseBusyError) return { body: body(503, 'BUSY', error.message), headers: { 'Retry-After': '1' } };
  if (isDatabaseUnavailable(error)) return { body: body(503, 'DATABASE_UNAVAILABLE', 'The database cannot be reached now; retry shortly'), headers: { 'Retry-After': '1' } };
  const status = httpStatusOf(error);
  if (status !== undefined && status >= 400 && status < 500) {
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST';
    const detail = status === 413 ? 'The request body is larger than the limit (1 MiB)' : (error as Error).message;
    return { body: body(status, code, detail), headers: {} };
  }
  return { body: body(500, 'INTERNAL', 'An internal error occurred; it has been logged'), headers: {} };
};

const httpStatusOf = (error: unknown): number | undefined => {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof candidate === 'number' ? candidate : undefined;
};

export const notFound = (what: string, code = 'NOT_FOUND'): ProblemError => new ProblemError(404, code, `${what} not found`);
export const badRequest = (detail: string, errors?: readonly FieldError[]): ProblemError => new ProblemError(400, 'VALIDATION_FAILED', detail, errors);
