import { MAX_SERVER_TIMEOUT_MS } from '../../domain/server/validate';
import { CREDENTIAL_MODES, TOOL_PINNINGS, type ApprovedTool, type DiscoveredTool, type Transport } from '../../domain/server/events';
import { approvalOf } from '../../domain/server/pinning';
import { SERVER_NAME_PATTERN } from '../../domain/shared/names';
import { type ErrorCollector, MAX_SERVERS, type ServerEntry, TYPE_ALIASES } from './document';
import { FieldReader, isPlainObject } from './fields';

const SERVER_FIELDS = [
  'type', 'transport', 'command', 'args', 'env', 'cwd', 'url', 'headers', 'description', 'bearerToken', 'timeoutMs', 'toolPinning', 'credentials', 'approvedTools',
];
const MAX_APPROVED_TOOLS = 1000;
/** The same limits as the REST DTOs, so that whatever the API accepts can be exported and imported. */
const MAP_LIMITS = { maxKeys: 128, maxKeyLength: 256, maxValueLength: 8192 };
/** What a process environment can carry: no `=` (the separator) and no NUL in a name. */
const ENV_NAME = /^[^=\0]+$/;
/** Header names are HTTP tokens (RFC 9110 §5.6.2). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const isValidServerName = (name: string): boolean => SERVER_NAME_PATTERN.test(name) && !name.includes('__');

/**
 * `type` (or `transport`, which some clients write) names the transport; without either, a
 * `command` means stdio and a `url` means Streamable HTTP, as Claude Desktop and Cursor read it.
 */
const resolveTransport = (fields: FieldReader): Transport | null => {
  const given = ['type', 'transport'].filter((key) => fields.has(key));
  const resolved = given.map((key) => {
    const value = fields.object[key];
    const transport = typeof value === 'string' && Object.hasOwn(TYPE_ALIASES, value) ? TYPE_ALIASES[value] : undefined;
    if (transport === undefined) fields.fail(key, `must be one of ${Object.keys(TYPE_ALIASES).join(', ')}`);
    return transport;
  });
  if (resolved.includes(undefined)) return null;
  if (resolved.length === 2 && resolved[0] !== resolved[1]) return fields.fail('transport', 'says another transport than type');
  if (resolved.length > 0) return resolved[0] as Transport;
  const hasCommand = fields.has('command');
  const hasUrl = fields.has('url');
  if (hasCommand && hasUrl) return fields.fail('type', 'is needed when an entry has both command and url');
  if (hasCommand) return 'stdio';
  if (hasUrl) return 'streamable_http';
  return fields.fail('type', 'cannot be told: give command (stdio) or url (sse, http)');
};

/** The domain's cross-field rules, checked here too so that every entry's errors are reported at once. */
const checkTransportFields = (fields: FieldReader, transport: Transport): void => {
  if (transport === 'stdio') {
    if (!fields.has('command')) fields.fail('command', 'is required for a stdio server');
    if (fields.has('url')) fields.fail('url', 'a stdio server has no url');
  } else {
    if (!fields.has('url')) fields.fail('url', `is required for a ${transport} server`);
    if (fields.has('command')) fields.fail('command', `a ${transport} server has no command`);
  }
};

const optionalObject = (fields: FieldReader, key: string): Record<string, unknown> | undefined => {
  const value = fields.object[key];
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    fields.fail(key, 'must be an object');
    return undefined;
  }
  return value;
};

/** An approved definition as exported: its hash, when given, must be the definition's. */
const parseApproval = (fields: FieldReader): ApprovedTool | null => {
  fields.refuseUnknown(['name', 'hash', 'definition']);
  const name = fields.string('name', { min: 1, max: 256 });
  const raw = fields.object.definition;
  if (!isPlainObject(raw)) return fields.fail('definition', 'must be an object (the approved tool definition)');
  const definition = fields.child(raw, `${fields.path}.definition`);
  definition.refuseUnknown(['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations']);
  const inputSchema = optionalObject(definition, 'inputSchema');
  if (inputSchema === undefined) definition.fail('inputSchema', 'must be an object');
  const title = definition.string('title', { max: 2000 });
  const description = definition.string('description', { max: 100_000 });
  const outputSchema = optionalObject(definition, 'outputSchema');
  const annotations = optionalObject(definition, 'annotations');
  if (name === null || inputSchema === undefined) return null;
  const tool: DiscoveredTool = {
    name,
    ...(title === null ? {} : { title }),
    ...(description === null ? {} : { description }),
    inputSchema,
    ...(outputSchema === undefined ? {} : { outputSchema }),
    ...(annotations === undefined ? {} : { annotations }),
  };
  const approval = approvalOf(tool);
  const hash = fields.object.hash;
  if (hash !== undefined && hash !== approval.hash) return fields.fail('hash', 'is not the hash of the definition');
  return approval;
};

const parseApprovals = (fields: FieldReader): ApprovedTool[] | undefined => {
  if (!fields.has('approvedTools')) return undefined;
  const approvals = fields.objects('approvedTools', MAX_APPROVED_TOOLS).map(parseApproval);
  return approvals.flatMap((approval) => approval ?? []);
};

const parseServer = (name: string, raw: unknown, errors: ErrorCollector): ServerEntry | null => {
  const path = `mcpServers.${name}`;
  const before = errors.size;
  if (!isValidServerName(name)) {
    errors.add(path, `server name must match ${SERVER_NAME_PATTERN.source} and must not contain "__"`);
  }
  if (!isPlainObject(raw)) {
    errors.add(path, 'must be an object');
    return null;
  }
  const fields = new FieldReader(raw, path, errors);
  fields.refuseUnknown(SERVER_FIELDS);
  const transport = resolveTransport(fields);
  if (transport !== null) checkTransportFields(fields, transport);
  const entry: ServerEntry = {
    name,
    transport: transport ?? 'stdio',
    description: fields.string('description', { max: 2000 }),
    command: fields.string('command', { min: 1, max: 4096 }),
    args: fields.stringArray('args', 256, 8192),
    env: fields.envMap('env', MAP_LIMITS, ENV_NAME),
    cwd: fields.string('cwd', { min: 1, max: 4096 }),
    url: fields.httpUrl('url'),
    headers: fields.envMap('headers', MAP_LIMITS, HEADER_NAME, 'header name'),
    bearerToken: fields.secret('bearerToken', 8192),
    timeoutMs: fields.integer('timeoutMs', 1, MAX_SERVER_TIMEOUT_MS),
    ...(fields.has('toolPinning') ? { toolPinning: fields.oneOf('toolPinning', TOOL_PINNINGS, 'off') } : {}),
    ...(fields.has('credentials') ? { credentials: fields.oneOf('credentials', CREDENTIAL_MODES, 'shared') } : {}),
  };
  const approvedTools = parseApprovals(fields);
  if (errors.size !== before) return null;
  return approvedTools === undefined ? entry : { ...entry, approvedTools };
};

/** Every entry of `mcpServers`, each checked in full; entries with errors are left out (and reported). */
export const parseServers = (raw: unknown, errors: ErrorCollector): ServerEntry[] => {
  if (!isPlainObject(raw)) {
    errors.add('mcpServers', 'must be an object of servers by name');
    return [];
  }
  const names = Object.keys(raw);
  if (names.length > MAX_SERVERS) {
    errors.add('mcpServers', `holds ${names.length} servers; at most ${MAX_SERVERS} can be imported at once`);
    return [];
  }
  return names.flatMap((name) => parseServer(name, raw[name], errors) ?? []);
};
