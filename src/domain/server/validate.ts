import { DomainError, isWellFormed, lineProblem, NOT_WELL_FORMED, textProblem } from '../shared';
import { isPlainEnvValue } from './env';
import { assertNoSharedCredentials } from './per-user-settings';
import { CREDENTIAL_MODES, TRANSPORTS, type ServerSettings } from './events';

export const MAX_SERVER_TIMEOUT_MS = 600_000;

/** Header names are HTTP tokens (RFC 9110 §5.6.2). */
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What a process environment can carry: no `=` (the separator) in a name (control characters are refused apart). */
const ENV_NAME_PATTERN = /^[^=]+$/;

const invalid = (field: string, message: string): DomainError =>
  new DomainError('INVALID_SERVER_CONFIG', message, { field });

const assertLine = (field: string, value: string | null): void => {
  const problem = value === null ? null : lineProblem(value);
  if (problem !== null) throw invalid(field, `${field} ${problem}`);
};

/** Everything that is spawned, fetched or named must be a plain line of text; the description, plain text. */
const assertPlainStrings = (settings: ServerSettings): void => {
  const description = settings.description === null ? null : textProblem(settings.description);
  if (description !== null) throw invalid('description', `description ${description}`);
  assertLine('command', settings.command);
  settings.args.forEach((arg, index) => assertLine(`args[${index}]`, arg));
  assertLine('cwd', settings.cwd);
  assertLine('url', settings.url);
  for (const [name, value] of Object.entries(settings.env)) {
    assertLine(`env.${name}`, name);
    // A secret is checked before it is sealed (secretValueProblem); a plain value can be checked here.
    const problem = isPlainEnvValue(value) ? secretValueProblem('env', value.plain) : null;
    if (problem !== null) throw invalid(`env.${name}`, `env.${name} ${problem}`);
  }
  for (const name of Object.keys(settings.headers)) assertLine(`headers.${name}`, name);
};

/**
 * What is wrong with a secret's value before it is sealed (the sealed value cannot be checked),
 * or null: an environment value cannot hold a NUL, a header value no line break or NUL (it would
 * end the header, or let the value forge others).
 */
export const secretValueProblem = (kind: 'env' | 'headers', value: string): string | null => {
  if (kind === 'env' && value.includes('\0')) return 'must not contain a NUL character';
  if (kind === 'headers' && /[\r\n\0]/.test(value)) return 'must not contain line breaks or NUL characters';
  return isWellFormed(value) ? null : NOT_WELL_FORMED;
};

const isHttpUrl = (value: string): boolean => {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
};

/**
 * A stdio server is a command to spawn; an SSE or Streamable HTTP server is a URL. Checking the
 * whole (merged) settings, not the patch, catches half-done transport switches.
 */
export const assertValidServerSettings = (settings: ServerSettings): void => {
  assertPlainStrings(settings);
  if (!TRANSPORTS.includes(settings.transport)) {
    throw invalid('transport', `transport must be one of ${TRANSPORTS.join(', ')}`);
  }
  if (settings.transport === 'stdio') {
    if (settings.command === null || settings.command.trim() === '') {
      throw invalid('command', 'a stdio server needs a command');
    }
    if (settings.url !== null) throw invalid('url', 'a stdio server has no url');
  } else {
    if (settings.url === null || !isHttpUrl(settings.url)) {
      throw invalid('url', `a ${settings.transport} server needs an http: or https: url`);
    }
    if (settings.command !== null) throw invalid('command', `a ${settings.transport} server has no command`);
  }
  if (!CREDENTIAL_MODES.includes(settings.credentials)) {
    throw invalid('credentials', `credentials must be one of ${CREDENTIAL_MODES.join(', ')}`);
  }
  if (settings.cwd !== null && settings.cwd.trim() === '') throw invalid('cwd', 'cwd must not be empty');
  const { timeoutMs } = settings;
  if (timeoutMs !== null && !(Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= MAX_SERVER_TIMEOUT_MS)) {
    throw invalid('timeoutMs', `timeoutMs must be null or an integer from 1 to ${MAX_SERVER_TIMEOUT_MS}`);
  }
  const badEnv = Object.keys(settings.env).find((name) => !ENV_NAME_PATTERN.test(name));
  if (badEnv !== undefined) throw invalid('env', `"${badEnv}" is not a valid environment variable name`);
  const badHeader = Object.keys(settings.headers).find((name) => !HEADER_NAME_PATTERN.test(name));
  if (badHeader !== undefined) throw invalid('headers', `"${badHeader}" is not a valid header name`);
  assertNoSharedCredentials(settings);
};

/**
 * A list of secret headers given in a command names headers the server has (after the command):
 * a flag on no header would be dropped silently. A header removed by a patch that does not
 * repeat the list loses its flag without this check (settingsOf drops it).
 */
export const assertSecretHeadersAreHeaders = (headers: Readonly<Record<string, unknown>>, secretHeaders: readonly string[] | undefined): void => {
  if (secretHeaders === undefined) return;
  if (!Array.isArray(secretHeaders) || secretHeaders.some((name) => typeof name !== 'string')) {
    throw invalid('secretHeaders', 'secretHeaders must be a list of header names');
  }
  const unknown = secretHeaders.find((name) => !Object.hasOwn(headers, name));
  if (unknown !== undefined) throw invalid(`secretHeaders`, `secretHeaders names "${unknown}", which is not one of the server's headers`);
};
