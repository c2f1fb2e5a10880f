import { ErrorCollector, type ImportDocument, ImportRefusedError, MAX_DOCUMENT_BYTES } from './document';
import { isPlainObject } from './fields';
import { parsePeople } from './people';
import { parseProfiles } from './parse-profiles';
import { parseServers } from './parse-servers';

const TOP_LEVEL_FIELDS = ['mcpServers', 'gatehouse'];
/** How many ignored keys a warning names, and how much of each: the names come from the file. */
const NAMED_KEYS = 10;
const KEY_LENGTH = 64;

/**
 * Real files hold their application's other settings next to `mcpServers` (Claude Desktop's
 * `globalShortcut` and `preferences`): they are none of Gatehouse's business, so they are skipped
 * and named, not refused. Names are JSON-quoted, so a control character in one cannot reach a
 * terminal as it is.
 */
const ignoredKeysWarning = (keys: readonly string[]): string[] => {
  if (keys.length === 0) return [];
  const quote = (key: string): string => JSON.stringify(key.length > KEY_LENGTH ? `${key.slice(0, KEY_LENGTH)}…` : key);
  const named = keys.slice(0, NAMED_KEYS).map(quote).join(', ') + (keys.length > NAMED_KEYS ? ` and ${keys.length - NAMED_KEYS} more` : '');
  return [`ignored top-level field${keys.length === 1 ? '' : 's'} ${named}: only ${TOP_LEVEL_FIELDS.join(' and ')} are imported`];
};

/**
 * Checks a whole import document and returns it normalised, or throws ImportRefusedError naming
 * every bad entry. Unknown top-level fields are ignored with a warning; unknown fields inside an
 * entry are still refused (a typo there would silently change a server). Pure: whether a masked
 * secret can be kept, or a profile's server exists, is decided later against the current state
 * (see plan.ts). `fromBackup`: the document was opened from a backup, whose users may carry
 * their password hashes.
 */
export const parseImportDocument = (input: unknown, options: Readonly<{ fromBackup?: boolean }> = {}): ImportDocument => {
  const errors = new ErrorCollector();
  if (!isPlainObject(input)) {
    errors.add('$', 'the document must be a JSON object {"mcpServers": {…}}');
    throw new ImportRefusedError(errors.list());
  }
  if (input.backup !== undefined) {
    // A backup's secrets are sealed under a passphrase; imported as a plain document they would be lost.
    errors.add('backup', 'this is an encrypted backup (gatehouse export --with-secrets): restore it with `gatehouse import <file>` and its passphrase in GATEHOUSE_BACKUP_PASSPHRASE');
    throw new ImportRefusedError(errors.list());
  }
  const warnings = ignoredKeysWarning(Object.keys(input).filter((key) => !TOP_LEVEL_FIELDS.includes(key)));
  if (input.mcpServers === undefined) errors.add('mcpServers', 'is required');
  const servers = input.mcpServers === undefined ? [] : parseServers(input.mcpServers, errors);
  const profiles = input.gatehouse === undefined ? null : parseProfiles(input.gatehouse, errors);
  const people = isPlainObject(input.gatehouse) ? parsePeople(input.gatehouse, errors, options.fromBackup === true) : null;
  errors.throwIfAny();
  return { servers, profiles, ...(people === null ? {} : { people }), warnings };
};

/** The CLI's entry: a file's text, bounded like the REST body, then parsed as above. */
export const parseImportText = (text: string): ImportDocument => parseImportDocument(readJsonText(text));

/** A file's text as JSON, bounded like the REST body (or `maxBytes`); anything else is refused as a whole. */
export const readJsonText = (text: string, maxBytes: number = MAX_DOCUMENT_BYTES): unknown => {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new ImportRefusedError([{ field: '$', messages: [`the document has ${bytes} bytes; at most ${maxBytes} (${maxBytes / 1024 / 1024} MiB) can be imported`] }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ImportRefusedError([{ field: '$', messages: [`the document is not valid JSON: ${(error as Error).message}`] }]);
  }
  return parsed;
};
