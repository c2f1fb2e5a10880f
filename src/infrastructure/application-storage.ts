import type { EventStore } from './eventstore';
import type { TypeOrmEventStore } from './eventstore/typeorm-event-store';
import type { Database } from './persistence/database';

/**
 * What an application stores into: the database and the TypeORM event store behind the ports an
 * application shows (`EventStore`, the queries, the command handlers). For infrastructure (the
 * gateway, the store migration), tests and benchmarks; `src/api` never sees it (a
 * dependency-cruiser rule: `api-not-to-storage`).
 */
export type Storage = Readonly<{ database: Database; store: TypeOrmEventStore }>;

/** What an application looks like from here (application.ts imports this module, not the other way round). */
type OpenedApplication = Readonly<{ store: EventStore; commands: object }>;

const storages = new WeakMap<OpenedApplication, Storage>();

/** Records the storage behind an application (openApplication does, once). */
export const attachStorage = <App extends OpenedApplication>(app: App, storage: Storage): App => {
  storages.set(app, storage);
  return app;
};

/** The storage behind an application opened by openApplication. */
export const storageOf = (app: OpenedApplication): Storage => {
  const storage = storages.get(app);
  if (storage === undefined) throw new Error('storageOf: not an application opened by openApplication');
  return storage;
};
