/**
 * Old event shapes are brought to the current one on read, before they reach `evolve`:
 * an event type is never renamed or rewritten in place. Register an upcaster per
 * (type, schemaVersion) when an event's shape changes; none is needed yet.
 */
export type Upcaster = (data: unknown) => unknown;

export const CURRENT_SCHEMA_VERSION = 1;

const upcasters = new Map<string, Upcaster>();

const key = (type: string, fromVersion: number): string => `${type}@${fromVersion}`;

export const registerUpcaster = (type: string, fromVersion: number, upcaster: Upcaster): void => {
  upcasters.set(key(type, fromVersion), upcaster);
};

export const upcast = (type: string, schemaVersion: number, data: unknown): unknown => {
  let current = data;
  for (let version = schemaVersion; version < CURRENT_SCHEMA_VERSION; version += 1) {
    const upcaster = upcasters.get(key(type, version));
    if (upcaster) current = upcaster(current);
  }
  return current;
};
