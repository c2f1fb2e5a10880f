import { shannonBitsPerChar } from '../shared';

/**
 * Whether an environment variable given without an explicit `secret` flag is kept secret.
 * Secret by default when its name or its value says so, plain otherwise: `LOG_LEVEL: "debug"`
 * is configuration anyone may read, `API_KEY: "…"` is not. A wrong guess is fixed per variable
 * with `{"value": "…", "secret": true|false}`. Erring towards secret is cheap (a masked value),
 * erring towards plain shows a credential: when in doubt, the rule says secret.
 */

/** Name parts (the name split on `_`, `-`, `.` and camelCase, upper-cased) that mark a secret. */
const SECRET_NAME_PARTS = new Set([
  'TOKEN', 'TOKENS', 'KEY', 'KEYS', 'APIKEY', 'SECRET', 'SECRETS', 'PASSWORD', 'PASSWORDS', 'PASSWD', 'PASS', 'PWD',
  'PASSPHRASE', 'AUTH', 'AUTHORIZATION', 'CREDENTIAL', 'CREDENTIALS', 'CREDS', 'PRIVATE', 'COOKIE', 'COOKIES', 'SESSION',
  'SIGNATURE', 'SALT', 'DSN',
]);

/**
 * Endings that mark a secret even inside one run-together part (`GITHUBTOKEN`, `MYAPIKEY`). Short
 * words such as KEY or PASS are matched as whole parts only: MONKEY, BYPASS and KEYBOARD say nothing.
 */
const SECRET_NAME_ENDINGS = ['TOKEN', 'SECRET', 'PASSWORD', 'PASSWD', 'APIKEY', 'CREDENTIALS', 'PASSPHRASE'];

/** Prefixes of credentials issued by well-known services (OpenAI, GitHub, Slack, AWS, GitLab, npm, Hugging Face, Google, Stripe). */
const CREDENTIAL_PREFIXES = [
  'sk-', 'sk_live_', 'sk_test_', 'rk_live_', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_', 'xoxb-', 'xoxp-', 'xoxa-',
  'xoxs-', 'xapp-', 'AKIA', 'ASIA', 'glpat-', 'npm_', 'hf_', 'AIza', 'ya29.',
];
/** What follows a known prefix, at least: "sk-" alone, or "sk-learn", is no key. */
const MIN_AFTER_PREFIX = 10;

/** A generated token: at least this long, of token characters only, with letters of both cases and digits, well spread. */
const MIN_TOKEN_LENGTH = 20;
const MIN_TOKEN_BITS_PER_CHAR = 3.5;
const TOKEN_CHARS = /^[A-Za-z0-9_\-+/=.~]+$/;
/** Hex keys (lower-case letters and digits only, so not three character classes) from 32 digits (128 bits). */
const HEX_KEY = /^[0-9a-fA-F]{32,}$/;
/** `scheme://user:password@host`: a connection string with a password in it. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:[^\s/@]+@/i;

const nameParts = (name: string): string[] =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_.-]+/)
    .filter((part) => part !== '')
    .map((part) => part.toUpperCase());

export const isSecretEnvName = (name: string): boolean =>
  nameParts(name).some((part) => SECRET_NAME_PARTS.has(part) || SECRET_NAME_ENDINGS.some((ending) => part.endsWith(ending)));

const looksGenerated = (value: string): boolean =>
  value.length >= MIN_TOKEN_LENGTH &&
  TOKEN_CHARS.test(value) &&
  /[a-z]/.test(value) &&
  /[A-Z]/.test(value) &&
  /[0-9]/.test(value) &&
  shannonBitsPerChar(value) >= MIN_TOKEN_BITS_PER_CHAR;

export const looksLikeCredential = (value: string): boolean => {
  const trimmed = value.trim();
  return (
    CREDENTIAL_PREFIXES.some((prefix) => trimmed.startsWith(prefix) && trimmed.length >= prefix.length + MIN_AFTER_PREFIX) ||
    /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/.test(trimmed) ||
    trimmed.startsWith('-----BEGIN') ||
    URL_WITH_PASSWORD.test(trimmed) ||
    HEX_KEY.test(trimmed) ||
    looksGenerated(trimmed)
  );
};

/** The automatic decision, for a variable given as a bare string. */
export const isSecretByDefault = (name: string, value: string): boolean => isSecretEnvName(name) || looksLikeCredential(value);

/**
 * Name parts that mark a header as a credential on top of the env ones: on a per-user server a
 * wrong guess hands the server's credential to every user, and headers recorded before the
 * `secret` flag existed have only this guess, so the header rule casts wider.
 */
const SECRET_HEADER_NAME_PARTS = new Set(['AUTHENTICATION', 'BEARER', 'JWT', 'PASSCODE', 'OTP', 'PIN', 'SIG', 'SIGNATURE', 'HMAC']);
/** Whether a header, query parameter or command-line flag name says it carries a credential (`X-JWT`, `access_token`, `--api-key`). */
export const isCredentialName = (name: string): boolean =>
  isSecretEnvName(name) || nameParts(name).some((part) => SECRET_HEADER_NAME_PARTS.has(part));

/** A value that starts with an HTTP authentication scheme (`Bearer …`, `Basic …`) is a credential whatever the header is called. */
const AUTH_SCHEME_VALUE = /^\s*(Bearer|Basic|Token|Digest|ApiKey|Api-Key|Negotiate|NTLM|AWS4-HMAC-SHA256|HOBA|Mutual|SCRAM-SHA-\d+|vapid|DPoP|MAC)\s/i;

/**
 * Whether a server's header looks like a credential, which a per-user connection must not carry:
 * by its name (the env rule plus SECRET_HEADER_NAME_PARTS), by an authentication scheme at the
 * start of its value, or by any of its space-separated words looking like a credential
 * (`Bearer abc…`, `key=sk-…`). It errs towards secret.
 */
export const isSecretHeader = (name: string, value: string): boolean =>
  isCredentialName(name) ||
  AUTH_SCHEME_VALUE.test(value) ||
  value.split(/[\s,;=]+/).some((word) => word !== '' && looksLikeCredential(word)) ||
  looksLikeCredential(value);

/**
 * Whether a header is secret (kept off per-user connections): declared so (`{"value": …,
 * "secret": true}`), or looking like a credential. The guess is a floor, not a default an
 * explicit `false` overrides: a header that looks like a credential is never handed to every
 * user of a per-user server, and headers recorded before the flag existed have only the guess.
 */
export const isSecretHeaderValue = (name: string, value: string, declared?: boolean | null): boolean =>
  declared === true || isSecretHeader(name, value);

/** An explicit flag wins; without one, the automatic decision. */
export const isSecretEnv = (name: string, value: string, secret?: boolean | null): boolean =>
  secret ?? isSecretByDefault(name, value);
