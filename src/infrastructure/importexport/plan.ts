import { defaultProfileEntry, ErrorCollector, type ImportDocument, type ProfileEntry, type SecretMap, type ServerEntry } from './document';

/** What the plan needs to know of an existing server: which secrets it holds (for masks). */
export type CurrentServer = Readonly<{
  id: string;
  envKeys: ReadonlySet<string>;
  headerKeys: ReadonlySet<string>;
  hasBearerToken: boolean;
}>;

export type CurrentState = Readonly<{
  /** Active servers by name. */
  servers: ReadonlyMap<string, CurrentServer>;
  /** Active profiles: slug → id. */
  profiles: ReadonlyMap<string, string>;
}>;

export type ServerStep = Readonly<{ entry: ServerEntry; serverId: string; exists: boolean }>;
export type ProfileStep = Readonly<{ entry: ProfileEntry | null; profileId: string; slug: string; exists: boolean }>;

export type ImportPlan = Readonly<{
  servers: readonly ServerStep[];
  /** One step per profile the import touches: those of the `gatehouse` section, then the one to attach to. */
  profiles: readonly ProfileStep[];
  /** Slug of the profile every imported server is attached to (active), or null; created when it does not exist. */
  attachTo: string | null;
  /** Server ids by name, for every server the import can refer to (existing and new). */
  serverIds: ReadonlyMap<string, string>;
}>;

const checkMaskedMap = (errors: ErrorCollector, path: string, values: SecretMap, current: ReadonlySet<string> | undefined, serverName: string): void => {
  for (const [key, value] of Object.entries(values)) {
    if (value.kind !== 'masked') continue;
    if (current === undefined) errors.add(`${path}.${key}`, `is masked ("••••"), which keeps the current value, but there is no server "${serverName}" yet; give the value`);
    else if (!current.has(key)) errors.add(`${path}.${key}`, `is masked ("••••"), which keeps the current value, but server "${serverName}" has no ${key}; give the value`);
  }
};

/** A mask keeps the current secret, so it is only allowed where there is one. */
const checkMasks = (errors: ErrorCollector, entry: ServerEntry, current: CurrentServer | undefined): void => {
  const path = `mcpServers.${entry.name}`;
  const envValues = Object.fromEntries(Object.entries(entry.env).map(([key, { value }]) => [key, value]));
  checkMaskedMap(errors, `${path}.env`, envValues, current?.envKeys, entry.name);
  const headerValues = Object.fromEntries(Object.entries(entry.headers).map(([key, { value }]) => [key, value]));
  checkMaskedMap(errors, `${path}.headers`, headerValues, current?.headerKeys, entry.name);
  if (entry.bearerToken?.kind === 'masked' && !current?.hasBearerToken) {
    errors.add(`${path}.bearerToken`, `is masked ("••••"), which keeps the current value, but server "${entry.name}" has no bearer token; give the value`);
  }
};

const checkServerRefs = (errors: ErrorCollector, entry: ProfileEntry, known: ReadonlyMap<string, string>): void => {
  const path = `gatehouse.profiles.${entry.slug}`;
  entry.servers.forEach((link, index) => {
    if (!known.has(link.name)) errors.add(`${path}.servers[${index}].name`, `no server "${link.name}" exists or is imported`);
  });
  entry.tools.forEach((tool, index) => {
    if (!known.has(tool.server)) errors.add(`${path}.tools[${index}].server`, `no server "${tool.server}" exists or is imported`);
  });
};

/**
 * Matches a parsed document with the current state: which servers are new and which exist (by
 * active name), which profiles are new and which exist (by slug). Throws ImportRefusedError
 * naming every entry that cannot be applied. A profile to attach to that neither exists nor is in
 * the document is created with the defaults, in the same import: a first import into a profile
 * needs no step before it.
 */
export const planImport = (
  document: ImportDocument,
  current: CurrentState,
  options: Readonly<{ attachTo?: string; newId: () => string }>,
): ImportPlan => {
  const errors = new ErrorCollector();
  const serverIds = new Map<string, string>([...current.servers].map(([name, server]) => [name, server.id]));
  const servers = document.servers.map((entry): ServerStep => {
    const existing = current.servers.get(entry.name);
    checkMasks(errors, entry, existing);
    const serverId = existing?.id ?? options.newId();
    serverIds.set(entry.name, serverId);
    return { entry, serverId, exists: existing !== undefined };
  });
  const profiles = (document.profiles ?? []).map((entry): ProfileStep => {
    checkServerRefs(errors, entry, serverIds);
    const existingId = current.profiles.get(entry.slug);
    return { entry, profileId: existingId ?? options.newId(), slug: entry.slug, exists: existingId !== undefined };
  });
  errors.throwIfAny();
  const attachTo = options.attachTo ?? null;
  if (attachTo !== null && !profiles.some((step) => step.slug === attachTo)) {
    const profileId = current.profiles.get(attachTo);
    profiles.push(
      profileId === undefined
        ? { entry: defaultProfileEntry(attachTo), profileId: options.newId(), slug: attachTo, exists: false }
        : { entry: null, profileId, slug: attachTo, exists: true },
    );
  }
  return { servers, profiles, attachTo, serverIds };
};
