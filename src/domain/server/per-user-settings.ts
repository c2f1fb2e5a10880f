import { DomainError } from '../shared';
import { isCredentialName, looksLikeCredential } from './env-secrecy';
import type { ServerSettings } from './events';

/**
 * A per_user server's url and args reach every user's connection as they are (they are neither
 * sealed nor per user), so a credential in them would be the server's, handed to every user:
 * such a server is refused rather than silently stripped, and the admin moves the credential
 * into the users' own env values or bearer tokens.
 */
const refuse = (field: string, message: string): DomainError =>
  new DomainError(
    'INVALID_SERVER_CONFIG',
    `${message}: on a per_user server it would reach every user's connection; leave it out and let each user set theirs (PUT /api/servers/:s/credentials)`,
    { field },
  );

const urlProblem = (url: string): string | null => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null; // the url's own check says what is wrong with it
  }
  if (parsed.username !== '' || parsed.password !== '') return 'url has a user name or password in it';
  for (const [name, value] of parsed.searchParams) {
    if (isCredentialName(name) || looksLikeCredential(value)) return `url has a credential-looking query parameter "${name}"`;
  }
  return null;
};

/** `--token X`, `--api-key=X`, `-p=X` or a token-like argument anywhere. */
const argsProblem = (args: readonly string[]): { index: number; message: string } | null => {
  for (const [index, arg] of args.entries()) {
    if (looksLikeCredential(arg) || arg.split('=').some((part) => part !== '' && looksLikeCredential(part))) {
      return { index, message: `args[${index}] looks like a credential` };
    }
    if (!arg.startsWith('-')) continue;
    const [flag, inline] = arg.split(/=(.*)/s, 2);
    if (!isCredentialName(flag.replace(/^-+/, ''))) continue;
    const next = args[index + 1];
    if (inline !== undefined || (next !== undefined && !next.startsWith('-'))) {
      return { index, message: `args[${index}] (${flag}) passes a credential` };
    }
  }
  return null;
};

export const assertNoSharedCredentials = (settings: ServerSettings): void => {
  if (settings.credentials !== 'per_user') return;
  const inUrl = settings.url === null ? null : urlProblem(settings.url);
  if (inUrl !== null) throw refuse('url', inUrl);
  const inArgs = argsProblem(settings.args);
  if (inArgs !== null) throw refuse(`args[${inArgs.index}]`, inArgs.message);
};
