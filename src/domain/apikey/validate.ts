import { DomainError, lineProblem } from '../shared';
import type { IssueApiKey } from './commands';

export const MAX_APIKEY_NAME_LENGTH = 128;
/** Scope that opens every profile; never mixed with profile ids. */
export const ALL_PROFILES = '*';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/**
 * A date, or a date and time with an explicit offset. A time without offset would be read in the
 * machine's time zone, and the same command must mean the same thing everywhere.
 */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

const invalid = (field: string, message: string): DomainError => new DomainError('INVALID_ARGUMENT', message, { field });

/** Date.parse rolls 2026-02-30 over into March; a calendar date must exist as written. */
const isCalendarDate = (value: string): boolean => {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
};

/** Milliseconds since the epoch of an instant this module accepts, NaN for anything else. */
export const parseInstant = (value: string): number =>
  ISO_INSTANT.test(value) && isCalendarDate(value) ? Date.parse(value) : Number.NaN;

export const assertValidIssue = ({ data }: IssueApiKey): void => {
  if (data.name.trim() === '' || data.name.length > MAX_APIKEY_NAME_LENGTH) {
    throw invalid('name', `name must have 1 to ${MAX_APIKEY_NAME_LENGTH} characters`);
  }
  const nameProblem = lineProblem(data.name);
  if (nameProblem !== null) throw invalid('name', `name ${nameProblem}`);
  if (!SHA256_HEX.test(data.hash)) throw invalid('hash', 'hash must be a SHA-256 digest in lower-case hex');
  if (data.prefix === '') throw invalid('prefix', 'prefix must not be empty');
  const { profiles } = data;
  if (profiles.length === 0) throw invalid('profiles', 'a key must open at least one profile (or "*")');
  if (profiles.includes(ALL_PROFILES) && profiles.length > 1) {
    throw invalid('profiles', `"${ALL_PROFILES}" opens every profile and cannot be combined with profile ids`);
  }
  if (profiles.some((profile) => profile === '')) throw invalid('profiles', 'profile ids must not be empty');
  if (new Set(profiles).size !== profiles.length) throw invalid('profiles', 'profiles must not repeat');
  if (data.expiresAt !== null) {
    const expiresAt = parseInstant(data.expiresAt);
    if (Number.isNaN(expiresAt)) {
      throw invalid('expiresAt', 'expiresAt must be an ISO 8601 date or a date-time with an offset');
    }
    if (expiresAt <= Date.parse(data.issuedAt)) throw invalid('expiresAt', 'expiresAt must be in the future');
  }
};
