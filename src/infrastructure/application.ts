import { AccessCommands } from './commands/access.commands';
import { UserCredentialsCommands } from './commands/credentials.commands';
import { ApiKeyCommands } from './commands/apikey.commands';
import { PersonalAccessTokenCommands } from './commands/pat.commands';
import { ProfileCommands } from './commands/profile.commands';
import { ServerCommands } from './commands/server.commands';
import { SettingsCommands } from './commands/settings.commands';
import { uniqueNames } from './commands/unique-names';
import { UserCommands } from './commands/user.commands';
import type { GatehouseConfig } from './config/config';
import { Keyring, loadMasterKey, type SecretBox } from './crypto';
import { OAuthServerRecords } from './oauth-server/oauth-server-records';
import { rotateMasterKey, type MasterKeyRotation } from './crypto/master-key-rotation';
import { EVENT_STORE_ENTITIES, type EventStore } from './eventstore';
import { TypeOrmEventStore } from './eventstore/typeorm-event-store';
import { attachStorage } from './application-storage';
import { exportBackup, exportConfig, importDocument, type BackupDocument, type ConfigDocument, type ImportDocument, type ImportOptions } from './importexport';
import type { CommandContext } from './commands/handle-command';
import { Database } from './persistence/database';
import { CONFIGURATION_PROJECTIONS, READ_MODEL_ENTITIES } from './readmodels';
import { DEBUG_LOG_ENTITIES } from './readmodels/debug-logs';
import { OAuthServerRecordRow } from './oauth-server/oauth-server.entities';
import { Queries } from './readmodels/queries';
import { DataKeyRow } from './crypto/data-key';
import { SetupLinkRow, SetupLinks, UserSessionRow, UserSessions } from './sessions';
import { Maintenance } from './maintenance';
import { MAILBOX_ENTITIES, SESSION_ENTITIES } from './mcp-sessions';
import { KEY_USAGE_ENTITIES } from './key-usage';

/** Every table this process maps, by the module that owns it. */
export const ENTITIES = [...EVENT_STORE_ENTITIES, ...READ_MODEL_ENTITIES, ...DEBUG_LOG_ENTITIES, ...SESSION_ENTITIES, ...MAILBOX_ENTITIES, ...KEY_USAGE_ENTITIES, DataKeyRow, UserSessionRow, SetupLinkRow, OAuthServerRecordRow];

export type Commands = Readonly<{
  servers: ServerCommands;
  profiles: ProfileCommands;
  apiKeys: ApiKeyCommands;
  settings: SettingsCommands;
  users: UserCommands;
  access: AccessCommands;
  personalAccessTokens: PersonalAccessTokenCommands;
  userCredentials: UserCredentialsCommands;
  /** Applies a configuration document (`POST /api/import`, `gatehouse import`). */
  importDocument: (document: ImportDocument, options: ImportOptions, context: CommandContext) => ReturnType<typeof importDocument>;
}>;

export type Exports = Readonly<{
  /** The configuration as `import` reads it, its secrets masked. */
  config: () => Promise<ConfigDocument>;
  /** The configuration with its secrets sealed under a passphrase (`export --with-secrets`). */
  backup: (passphrase: string) => Promise<BackupDocument>;
}>;

/**
 * The application as its edges use it (REST routes, the CLI): the event store port, the typed
 * read-model queries and the command handlers. Built once by `openApplication`; the edges never
 * open the database themselves, nor see it (infrastructure reaches it with `storageOf`).
 */
export type Application = Readonly<{
  config: GatehouseConfig;
  store: EventStore;
  secrets: SecretBox;
  queries: Queries;
  commands: Commands;
  /** The configuration as one document (`GET /api/export`, `gatehouse export`); the log itself is read through `store`. */
  exports: Exports;
  maintenance: Maintenance;
  /** Browser sign-in sessions (runtime state, not configuration). */
  sessions: UserSessions;
  /** First-start links that create the owner while nobody has an account (runtime state). */
  setupLinks: SetupLinks;
  /** What Gatehouse's own authorization server keeps (runtime state). */
  oauthServerRecords: OAuthServerRecords;
  /** The database files that other users than their owner can read (warned about at start). */
  looseFiles: readonly string[];
  close: () => Promise<void>;
}>;

/** Opens the database (applying migrations), the secret box, the store with its projections, the queries and handlers. */
export const openApplication = async (config: GatehouseConfig): Promise<Application> => {
  const database = await Database.open({ path: config.database, url: config.databaseUrl, entities: ENTITIES });
  try {
    const secrets = await new Keyring(database).open(loadMasterKey(config.dataDir, config.secretKey));
    const store = new TypeOrmEventStore(database, { projections: CONFIGURATION_PROJECTIONS, guards: [uniqueNames] });
    const commands: Commands = {
      servers: new ServerCommands(store, secrets),
      profiles: new ProfileCommands(store),
      apiKeys: new ApiKeyCommands(store),
      settings: new SettingsCommands(store),
      users: new UserCommands(store),
      access: new AccessCommands(store),
      personalAccessTokens: new PersonalAccessTokenCommands(store),
      userCredentials: new UserCredentialsCommands(store, secrets),
      importDocument: (document, options, context) => importDocument({ store, secrets, reads: database.reads }, document, options, context),
    };
    const queries = new Queries(database.reads, store);
    const app: Application = {
      config,
      store,
      secrets,
      queries,
      commands,
      exports: { config: () => exportConfig(store), backup: (passphrase) => exportBackup(store, secrets, passphrase) },
      maintenance: new Maintenance(database, store),
      sessions: new UserSessions(database),
      setupLinks: new SetupLinks(database),
      oauthServerRecords: new OAuthServerRecords(database),
      looseFiles: database.looseFiles,
      close: () => database.close(),
    };
    return attachStorage(app, { database, store });
  } catch (error) {
    await database.close();
    throw error;
  }
};

/** `gatehouse migrate`: applies pending migrations (see persistence/apply-migrations.ts); returns their names. */
export const migrateDatabase = async (config: GatehouseConfig): Promise<string[]> => {
  const database = await Database.open({ path: config.database, url: config.databaseUrl, entities: ENTITIES, migrate: false });
  try {
    return await database.migrate();
  } finally {
    await database.close();
  }
};

/**
 * `gatehouse secrets rotate-key`: rewraps the data keys under a new master key. Not through
 * openApplication, which must open the keyring with the current key: after an interrupted
 * rotation only the pending key opens it.
 */
export const rotateSecretKey = async (config: GatehouseConfig, newKey: string | undefined): Promise<MasterKeyRotation> => {
  const database = await Database.open({ path: config.database, url: config.databaseUrl, entities: ENTITIES });
  try {
    return await rotateMasterKey({ keyring: new Keyring(database), dataDir: config.dataDir, currentKeyFromEnv: config.secretKey, newKey });
  } finally {
    await database.close();
  }
};
