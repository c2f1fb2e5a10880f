import { DomainError } from '../shared';
import { TRANSPORTS, type ServerSettings } from './events';

export const MAX_SERVER_TIMEOUT_MS = 600_000;

/** Header names are HTTP tokens (RFC 9110 §5.6.2). */
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What a process environment can carry: no `=` (the separator) and no NUL in a name. */
const ENV_NAME_PATTERN = /^[^=\0]+$/;

const invalid = (field: string, message: string): DomainError =>
  new DomainError('INVALID_SERVER_CONFIG', message, { field });

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
  if (settings.cwd !== null && settings.cwd.trim() === '') throw invalid('cwd', 'cwd must not be empty');
  const { timeoutMs } = settings;
  if (timeoutMs !== null && !(Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= MAX_SERVER_TIMEOUT_MS)) {
    throw invalid('timeoutMs', `timeoutMs must be null or an integer from 1 to ${MAX_SERVER_TIMEOUT_MS}`);
  }
  const badEnv = Object.keys(settings.env).find((name) => !ENV_NAME_PATTERN.test(name));
  if (badEnv !== undefined) throw invalid('env', `"${badEnv}" is not a valid environment variable name`);
  const badHeader = Object.keys(settings.headers).find((name) => !HEADER_NAME_PATTERN.test(name));
  if (badHeader !== undefined) throw invalid('headers', `"${badHeader}" is not a valid header name`);
};
