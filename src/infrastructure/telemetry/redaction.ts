import { estimatedEntropyBits } from '../../domain/shared';

export const REDACTED = '[REDACTED]';

/**
 * A configured secret value is searched for (and replaced wherever it occurs) only when it
 * cannot be an ordinary word, because every occurrence of it in every payload is replaced:
 * a secret "debug" would blank out the word in every log. So a value must have
 * - at least MIN_SECRET_LENGTH characters ("true", "debug", "on" never qualify), and
 * - at least MIN_SECRET_ENTROPY_BITS of estimated entropy (Shannon entropy of its characters ×
 *   its length: "00000000" or "aaaaaaaaaa" do not qualify, a random 8-character string does), and
 * - if it is letters only (a word or a name: "production", "Administrator"), at least
 *   MIN_WORD_SECRET_LENGTH characters (a long passphrase still qualifies).
 * Matches are exact (the value as configured, as a substring), never fuzzy. Values under
 * sensitive keys are hidden whatever they are (see isSensitiveKey).
 */
export const MIN_SECRET_LENGTH = 8;
export const MIN_SECRET_ENTROPY_BITS = 24;
export const MIN_WORD_SECRET_LENGTH = 16;

export const isSearchableSecret = (value: string): boolean =>
  value.length >= MIN_SECRET_LENGTH &&
  estimatedEntropyBits(value) >= MIN_SECRET_ENTROPY_BITS &&
  (value.length >= MIN_WORD_SECRET_LENGTH || !/^[\p{L}]+$/u.test(value));

/**
 * Keys whose values are always hidden, compared lower-cased without `-` and `_`. A key equal
 * to one of these, or ending in one of them (`accessToken`, `x-api-key`, `clientSecret`), is
 * redacted whatever its value looks like.
 */
const SENSITIVE_KEY_ENDINGS = ['password', 'passwd', 'passphrase', 'token', 'secret', 'authorization', 'apikey', 'cookie', 'credential', 'credentials', 'privatekey'];

/** Protocol fields that end like a sensitive key but carry no secret. */
const HARMLESS_KEYS = new Set(['progresstoken']);

/**
 * Matches any text in which a sensitive key could occur (the letters of an ending in order,
 * with only `-`/`_` between them), so that JSON without a match certainly has none.
 */
const MAYBE_SENSITIVE_KEY = new RegExp(SENSITIVE_KEY_ENDINGS.map((ending) => [...ending].join('[-_]*')).join('|'), 'i');

const normalizedKey = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');

export const isSensitiveKey = (key: string): boolean => {
  const normalized = normalizedKey(key);
  return !HARMLESS_KEYS.has(normalized) && SENSITIVE_KEY_ENDINGS.some((ending) => normalized.endsWith(ending));
};

/** How a secret value looks inside a JSON string literal (quotes, backslashes, controls escaped). */
const asInJson = (value: string): string => JSON.stringify(value).slice(1, -1);

/**
 * Hides secrets in values that are about to leave the process's memory (debug logs, log
 * lines): values under sensitive keys, and every occurrence of a configured secret value in
 * any string. Values are searched longest first so that a secret containing another one is
 * replaced whole.
 */
export class Redactor {
  private readonly values: readonly string[];
  private readonly jsonForms: readonly string[];

  constructor(secretValues: Iterable<string> = []) {
    this.values = [...new Set([...secretValues].filter(isSearchableSecret))].sort((a, b) => b.length - a.length);
    this.jsonForms = this.values.map(asInJson);
  }

  get secretCount(): number {
    return this.values.length;
  }

  /** This redactor plus more values (say, the passwords a request carried, which its answer may echo). */
  extend(values: Iterable<string>): Redactor {
    const added = [...values].filter((value) => isSearchableSecret(value) && !this.values.includes(value));
    return added.length === 0 ? this : new Redactor([...this.values, ...added]);
  }

  /**
   * A copy of `value` with secrets replaced; the input is never changed. String values found
   * under sensitive keys are added to `found`, so that the caller can hide them elsewhere too.
   */
  redact(value: unknown, found?: Set<string>, depth = 0): unknown {
    if (typeof value === 'string') return this.redactText(value);
    if (typeof value === 'number' || typeof value === 'bigint') {
      // A numeric secret (a PIN, an account number) sent as a JSON number.
      return this.values.includes(String(value)) ? REDACTED : value;
    }
    if (typeof value !== 'object' || value === null) return value;
    // Deeper than any real MCP payload: cut rather than recurse without end.
    if (depth > 64) return REDACTED;
    if (Array.isArray(value)) return value.map((item) => this.redact(item, found, depth + 1));
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (isSensitiveKey(key) && item !== null && item !== undefined && item !== '') {
        if (typeof item === 'string' || typeof item === 'number') found?.add(String(item));
        copy[key] = REDACTED;
      } else {
        copy[key] = this.redact(item, found, depth + 1);
      }
    }
    return copy;
  }

  redactText(text: string): string {
    let result = text;
    for (const secret of this.values) {
      if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    }
    return result;
  }

  /**
   * `value` as JSON, before and after redaction. Most payloads hold nothing to hide: the JSON
   * is searched first (for every secret as it would appear in JSON, and for anything shaped
   * like a sensitive key), and the deep copy is made only when something may be there.
   */
  toJson(value: unknown, found?: Set<string>): { original: string; redacted: string } {
    const original = JSON.stringify(value) ?? 'null';
    const suspicious = MAYBE_SENSITIVE_KEY.test(original) || this.jsonForms.some((form) => original.includes(form));
    return { original, redacted: suspicious ? (JSON.stringify(this.redact(value, found)) ?? 'null') : original };
  }
}

export type SerializedPayload = Readonly<{ text: string | null; truncated: boolean }>;

/**
 * Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character (a cut inside a
 * multi-byte sequence decodes to U+FFFD, which is dropped).
 */
export const truncateUtf8 = (text: string, maxBytes: number): SerializedPayload => {
  if (text.length <= maxBytes / 3 || Buffer.byteLength(text, 'utf8') <= maxBytes) return { text, truncated: false };
  const cut = Buffer.from(text, 'utf8').subarray(0, Math.max(0, maxBytes)).toString('utf8');
  return { text: cut.endsWith('\uFFFD') ? cut.slice(0, -1) : cut, truncated: true };
};

export type StoredPayload = SerializedPayload & Readonly<{ bytes: number }>;

/**
 * Redacts, serializes to JSON and truncates a payload for storage; `bytes` is the size of the
 * payload as sent (before redaction). Undefined stays null.
 */
export const serializePayload = (redactor: Redactor, value: unknown, maxBytes: number, found?: Set<string>): StoredPayload => {
  if (value === undefined) return { text: null, truncated: false, bytes: 0 };
  const { original, redacted } = redactor.toJson(value, found);
  return { ...truncateUtf8(redacted, maxBytes), bytes: Buffer.byteLength(original, 'utf8') };
};
