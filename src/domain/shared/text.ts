/**
 * What a string must be to be stored: well-formed Unicode (a lone surrogate cannot be written as
 * UTF-8 and comes back as U+FFFD), and, for anything that names or runs something, free of
 * control characters (a NUL ends a C string early: a command with one cannot be spawned).
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** C0 controls and DEL. */
const CONTROL = /[\u0000-\u001f\u007f]/;
/** The same, but tab and line breaks, which free text may hold. */
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export const isWellFormed = (value: string): boolean => !LONE_SURROGATE.test(value);

export const NOT_WELL_FORMED = 'must be well-formed Unicode (it holds a lone surrogate)';

/** What is wrong with `value` as a one-line value (a name, a command, a path, a URL), or null. */
export const lineProblem = (value: string): string | null =>
  !isWellFormed(value) ? NOT_WELL_FORMED : CONTROL.test(value) ? 'must not contain control characters' : null;

/** What is wrong with `value` as free text (a description: tabs and line breaks allowed), or null. */
export const textProblem = (value: string): string | null =>
  !isWellFormed(value)
    ? NOT_WELL_FORMED
    : CONTROL_IN_TEXT.test(value)
      ? 'must not contain control characters other than tab and line breaks'
      : null;
