// @ts-check
/**
 * Architecture rules for src/, checked by test/architecture.unit.test.ts (which runs the
 * dependency-cruiser CLI with this file). The rules name folders, not files, so they hold
 * whatever src/api, src/domain and src/infrastructure contain.
 *
 * To see the violations by hand: npx depcruise --config .dependency-cruiser.cjs src test bench scripts migrations ormconfig.ts
 */
const TEST = '\\.test\\.ts$';
/** Non-test files under a folder of src/. */
const under = (folder) => ({ path: `^src/${folder}/`, pathNot: TEST });

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle anywhere under src/, type-only imports included.',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST },
      to: { circular: true },
    },
    {
      name: 'domain-only-domain-and-node',
      comment: 'src/domain imports only src/domain and node: builtins: no npm package, nothing from src/infrastructure, src/api or outside src/.',
      severity: 'error',
      from: under('domain'),
      to: { pathNot: '^src/domain/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'infrastructure-not-to-api',
      comment: 'src/infrastructure never imports src/api.',
      severity: 'error',
      from: under('infrastructure'),
      to: { path: '^src/api/' },
    },
    {
      name: 'readmodels-not-to-commands',
      comment: 'The read side does not lean on the write side: read models and their queries never import the command handlers (commands read through the read models and the log, not the other way round).',
      severity: 'error',
      from: under('infrastructure/readmodels'),
      to: { path: '^src/infrastructure/commands/' },
    },
    {
      name: 'infrastructure-not-outside-src',
      comment: 'src/infrastructure imports nothing outside src/ (./ormconfig, ./migrations, test/ ...); npm packages and builtins are fine.',
      severity: 'error',
      from: under('infrastructure'),
      to: { pathNot: '^(src/|node_modules/|node:)', dependencyTypesNot: ['core'] },
    },
    {
      name: 'api-not-to-orm',
      comment: 'src/api never imports typeorm or better-sqlite3 itself, its tests included: it goes through src/infrastructure (a test that opens the database file lives in test/).',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '(^|/)node_modules/(@types/)?(typeorm|better-sqlite3)/|^(typeorm|better-sqlite3)(/|$)' },
    },
    {
      name: 'store-port-not-to-orm',
      comment: "The event store's port (eventstore/types.ts: EventLog, StoreTransaction, EventStore) names no database library: what a TypeORM transaction carries besides is the adapter's (ManagedTransaction in typeorm-event-store.ts).",
      severity: 'error',
      from: { path: '^src/infrastructure/eventstore/types\\.ts$' },
      to: { path: '(^|/)node_modules/(@types/)?(typeorm|better-sqlite3|pg)/|^(typeorm|better-sqlite3|pg)(/|$)' },
    },
    {
      name: 'api-not-to-storage',
      comment: "src/api, its tests included, works through the application's ports (the EventStore interface, the queries, the command handlers): it never reaches the Database, its backends and statements, the TypeORM event store, or the storage behind an application (application-storage.ts, for infrastructure and test/).",
      severity: 'error',
      from: { path: '^src/api/' },
      to: {
        path: '^src/infrastructure/(application-storage\\.ts|eventstore/typeorm-event-store\\.ts|persistence/)',
        // What src/api may use of persistence: the errors it maps to 503, and the marks of a serving process.
        pathNot: '^src/infrastructure/persistence/(database-errors|postgres-serving|serving-marker)\\.ts$',
      },
    },
    {
      name: 'src-not-to-tests',
      comment: 'No non-test file under src/ imports test/ or a test file.',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST },
      to: { path: `^test/|${TEST}` },
    },
  ],
  options: {
    // Parse the TypeScript sources themselves, not what tsc emits: this keeps `import type` and
    // imports used only as types, so the cycle rule sees them too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: '^dist/' },
    // Which modules import a module: the test uses it to find src/ files only tests import.
    forceDeriveDependents: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'default', 'types'] },
  },
};
