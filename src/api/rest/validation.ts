import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { badRequest, type FieldError } from './problem';

type DtoClass<T> = new () => T;

const flatten = (errors: readonly ValidationError[], parent = ''): FieldError[] =>
  errors.flatMap((error) => {
    const field = parent === '' ? error.property : `${parent}.${error.property}`;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });

/**
 * Validates an untrusted body against a class-validator DTO: unknown fields are refused, not
 * silently dropped, so a typo in a field name is an error the user sees.
 */
export const validateBody = <T extends object>(dto: DtoClass<T>, input: unknown): T => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw badRequest('The request body must be a JSON object');
  }
  const instance = plainToInstance(dto, input, { enableImplicitConversion: false });
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    const fieldErrors = flatten(errors);
    throw badRequest(`Invalid request: ${fieldErrors.map((e) => e.field).join(', ')}`, fieldErrors);
  }
  return instance;
};

/** Which keys the client actually sent: PATCH distinguishes "absent" from "null". */
export const sentKeys = (input: unknown): ReadonlySet<string> =>
  new Set(typeof input === 'object' && input !== null ? Object.keys(input) : []);
