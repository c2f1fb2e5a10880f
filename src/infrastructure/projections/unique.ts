import { DomainError, type DomainErrorCode } from '../../domain/shared';

const isUniqueViolation = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';

/**
 * Runs a write whose unique index guards a rule that spans streams (server names, profile
 * slugs). Inside the append transaction a violation aborts the whole append, so two
 * concurrent creates of the same name cannot both succeed.
 */
export const guardUnique = (write: () => void, code: DomainErrorCode, message: string): void => {
  try {
    write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError(code, message);
    throw error;
  }
};
