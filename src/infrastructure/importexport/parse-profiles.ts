import { AUTH_MODES, LINK_STATUSES, MAX_ADAPTIVE_TOOL_LIMIT, TOOL_EXPOSURE_MODES, TOOL_PREFIX_MODES } from '../../domain/profile/events';
import { MAX_PROFILE_DESCRIPTION_LENGTH, MAX_PROFILE_NAME_LENGTH } from '../../domain/profile/settings';
import { MAX_TOOL_DESCRIPTION_LENGTH, MAX_TOOL_TITLE_LENGTH, TOOL_OVERRIDE_NAME_PATTERN } from '../../domain/profile/tools';
import { PROFILE_SLUG_PATTERN } from '../../domain/shared/names';
import { defaultProfileEntry, type ErrorCollector, MAX_PROFILES, MAX_SERVERS, type ProfileEntry, type ToolEntry } from './document';
import { FieldReader, isPlainObject } from './fields';
import { isValidServerName } from './parse-servers';

const SECTION_FIELDS = ['profiles', 'position', 'exportedAt', 'users', 'access'];
const PROFILE_FIELDS = ['name', 'description', 'toolPrefix', 'toolExposure', 'adaptiveToolLimit', 'auth', 'debugLogging', 'servers', 'tools'];
const TOOL_FIELDS = ['server', 'tool', 'status', 'name', 'title', 'description', 'annotations'];
const MAX_TOOLS = 10_000;
const MAX_ANNOTATIONS_BYTES = 16 * 1024;

const parseLinks = (fields: FieldReader): ProfileEntry['servers'] => {
  const seen = new Set<string>();
  return fields.objects('servers', MAX_SERVERS).flatMap((link) => {
    link.refuseUnknown(['name', 'status']);
    const status = link.oneOf('status', LINK_STATUSES, 'active');
    const name = link.string('name', { min: 1, max: 64 });
    if (name === null) return link.has('name') ? [] : (link.fail('name', 'is required'), []);
    if (!isValidServerName(name)) return (link.fail('name', `"${name}" is not a valid server name`), []);
    if (seen.has(name)) return (link.fail('name', `"${name}" is listed twice`), []);
    seen.add(name);
    return [{ name, status }];
  });
};

const parseTool = (tool: FieldReader, seen: Set<string>, overrideNames: Set<string>): ToolEntry | null => {
  tool.refuseUnknown(TOOL_FIELDS);
  const server = tool.string('server', { min: 1, max: 64 });
  const toolName = tool.string('tool', { min: 1, max: 256 });
  if (server === null || toolName === null) {
    if (!tool.has('server')) tool.fail('server', 'is required');
    if (!tool.has('tool')) tool.fail('tool', 'is required');
    return null;
  }
  const key = `${server}/${toolName}`;
  if (seen.has(key)) return tool.fail('tool', `"${toolName}" of "${server}" is listed twice`);
  seen.add(key);
  const name = tool.string('name', { min: 1, max: 64 });
  if (name !== null && !TOOL_OVERRIDE_NAME_PATTERN.test(name)) return tool.fail('name', `must match ${TOOL_OVERRIDE_NAME_PATTERN.source}`);
  if (name !== null && overrideNames.has(name)) return tool.fail('name', `"${name}" is already used by another tool of this profile`);
  if (name !== null) overrideNames.add(name);
  const annotations = tool.object['annotations'];
  if (annotations !== undefined && annotations !== null && (!isPlainObject(annotations) || JSON.stringify(annotations).length > MAX_ANNOTATIONS_BYTES)) {
    return tool.fail('annotations', `must be an object of at most ${MAX_ANNOTATIONS_BYTES} bytes`);
  }
  return {
    server,
    tool: toolName,
    status: tool.oneOf('status', LINK_STATUSES, 'active'),
    name,
    title: tool.string('title', { max: MAX_TOOL_TITLE_LENGTH }),
    description: tool.string('description', { max: MAX_TOOL_DESCRIPTION_LENGTH }),
    annotations: isPlainObject(annotations) ? annotations : null,
  };
};

const parseProfile = (slug: string, raw: unknown, errors: ErrorCollector): ProfileEntry | null => {
  const path = `gatehouse.profiles.${slug}`;
  const before = errors.size;
  if (!PROFILE_SLUG_PATTERN.test(slug)) errors.add(path, `profile slug must match ${PROFILE_SLUG_PATTERN.source}`);
  if (!isPlainObject(raw)) {
    errors.add(path, 'must be an object');
    return null;
  }
  const fields = new FieldReader(raw, path, errors);
  fields.refuseUnknown(PROFILE_FIELDS);
  const defaults = defaultProfileEntry(slug);
  let auth = { ...defaults.auth };
  if (fields.has('auth')) {
    if (isPlainObject(raw.auth)) {
      const authFields = fields.child(raw.auth, `${path}.auth`);
      authFields.refuseUnknown(['apiKey', 'queryParam', 'mode']);
      const mode = authFields.oneOf('mode', AUTH_MODES, 'api_keys');
      auth = { apiKey: authFields.boolean('apiKey', defaults.auth.apiKey), queryParam: authFields.boolean('queryParam', defaults.auth.queryParam), ...(mode === 'api_keys' ? {} : { mode }) };
    } else {
      fields.fail('auth', 'must be an object {apiKey, queryParam, mode}');
    }
  }
  const seenTools = new Set<string>();
  const overrideNames = new Set<string>();
  const entry: ProfileEntry = {
    slug,
    name: fields.string('name', { min: 1, max: MAX_PROFILE_NAME_LENGTH }) ?? defaults.name,
    description: fields.string('description', { max: MAX_PROFILE_DESCRIPTION_LENGTH }),
    toolPrefix: fields.oneOf('toolPrefix', TOOL_PREFIX_MODES, defaults.toolPrefix),
    toolExposure: fields.oneOf('toolExposure', TOOL_EXPOSURE_MODES, defaults.toolExposure),
    adaptiveToolLimit: fields.integer('adaptiveToolLimit', 1, MAX_ADAPTIVE_TOOL_LIMIT) ?? defaults.adaptiveToolLimit,
    auth,
    debugLogging: fields.boolean('debugLogging', defaults.debugLogging),
    servers: parseLinks(fields),
    tools: fields.objects('tools', MAX_TOOLS).flatMap((tool) => parseTool(tool, seenTools, overrideNames) ?? []),
  };
  return errors.size === before ? entry : null;
};

/** The `gatehouse` section: profiles by slug, each described whole. */
export const parseProfiles = (raw: unknown, errors: ErrorCollector): ProfileEntry[] => {
  if (!isPlainObject(raw)) {
    errors.add('gatehouse', 'must be an object');
    return [];
  }
  const section = new FieldReader(raw, 'gatehouse', errors);
  section.refuseUnknown(SECTION_FIELDS);
  const profiles = raw.profiles ?? {};
  if (!isPlainObject(profiles) || Object.keys(profiles).length > MAX_PROFILES) {
    errors.add('gatehouse.profiles', `must be an object of at most ${MAX_PROFILES} profiles by slug`);
    return [];
  }
  return Object.keys(profiles).flatMap((slug) => parseProfile(slug, profiles[slug], errors) ?? []);
};
