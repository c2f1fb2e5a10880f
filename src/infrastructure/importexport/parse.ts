import { ErrorCollector, type ImportDocument, ImportRefusedError, MAX_DOCUMENT_BYTES } from './document';
import { isPlainObject } from './fields';
import { parseProfiles } from './parse-profiles';
import { parseServers } from './parse-servers';

const TOP_LEVEL_FIELDS = ['mcpServers', 'gatehouse'];

/**
 * Checks a whole import document and returns it normalised, or throws ImportRefusedError naming
 * every bad entry. Pure: whether a masked secret can be kept, or a profile's server exists, is
 * decided later against the current state (see plan.ts).
 */
export const parseImportDocument = (input: unknown): ImportDocument => {
  const errors = new ErrorCollector();
  if (!isPlainObject(input)) {
    errors.add('$', 'the document must be a JSON object {"mcpServers": {…}}');
    throw new ImportRefusedError(errors.list());
  }
  for (const key of Object.keys(input)) {
    if (!TOP_LEVEL_FIELDS.includes(key)) errors.add(key, `unknown field; a document holds ${TOP_LEVEL_FIELDS.join(' and ')}`);
  }
  if (input.mcpServers === undefined) errors.add('mcpServers', 'is required');
  const servers = input.mcpServers === undefined ? [] : parseServers(input.mcpServers, errors);
  const profiles = input.gatehouse === undefined ? null : parseProfiles(input.gatehouse, errors);
  errors.throwIfAny();
  return { servers, profiles };
};

/** The CLI's entry: a file's text, bounded like the REST body, then parsed as above. */
export const parseImportText = (text: string): ImportDocument => {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_DOCUMENT_BYTES) {
    throw new ImportRefusedError([{ field: '$', messages: [`the document has ${bytes} bytes; at most ${MAX_DOCUMENT_BYTES} (1 MiB) can be imported`] }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ImportRefusedError([{ field: '$', messages: [`the document is not valid JSON: ${(error as Error).message}`] }]);
  }
  return parseImportDocument(parsed);
};
