import { DomainError } from './errors';

/** Server names and tool-name prefixes end up inside exposed tool names (`<server>__<tool>`). */
export const SERVER_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const PROFILE_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const assertServerName = (name: string): void => {
  if (!SERVER_NAME_PATTERN.test(name) || name.includes('__')) {
    throw new DomainError(
      'INVALID_NAME',
      `Server name "${name}" must match ${SERVER_NAME_PATTERN.source} and must not contain "__"`,
      { field: 'name' },
    );
  }
};

export const assertProfileSlug = (slug: string): void => {
  if (!PROFILE_SLUG_PATTERN.test(slug)) {
    throw new DomainError('INVALID_SLUG', `Profile slug "${slug}" must match ${PROFILE_SLUG_PATTERN.source}`, {
      field: 'slug',
    });
  }
};
