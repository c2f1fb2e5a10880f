import { parseInstant } from '../apikey/validate';
import { DomainError, lineProblem } from '../shared';
import type { IssuePersonalAccessToken } from './commands';

export const MAX_PAT_NAME_LENGTH = 128;
const SHA256_HEX = /^[0-9a-f]{64}$/;

const invalid = (field: string, message: string): DomainError => new DomainError('INVALID_ARGUMENT', message, { field });

export const assertValidIssue = ({ data }: IssuePersonalAccessToken): void => {
  if (data.userId === '') throw invalid('userId', 'a token belongs to a user');
  if (data.name.trim() === '' || data.name.length > MAX_PAT_NAME_LENGTH) throw invalid('name', `name must have 1 to ${MAX_PAT_NAME_LENGTH} characters`);
  const nameProblem = lineProblem(data.name);
  if (nameProblem !== null) throw invalid('name', `name ${nameProblem}`);
  if (!SHA256_HEX.test(data.hash)) throw invalid('hash', 'hash must be a SHA-256 digest in lower-case hex');
  if (data.prefix === '') throw invalid('prefix', 'prefix must not be empty');
  if (data.expiresAt !== null) {
    const expiresAt = parseInstant(data.expiresAt);
    if (Number.isNaN(expiresAt)) throw invalid('expiresAt', 'expiresAt must be an ISO 8601 date or a date-time with an offset');
    if (expiresAt <= Date.parse(data.issuedAt)) throw invalid('expiresAt', 'expiresAt must be in the future');
  }
};
