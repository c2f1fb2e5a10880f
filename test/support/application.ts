import { ENTITIES, openApplication, type Application } from '../../src/infrastructure/application';
import { loadConfig } from '../../src/infrastructure/config/config';
import { Database } from '../../src/infrastructure/persistence/database';
import { TEST_SECRET_KEY } from './temp-dir';

/** The application (store, read models, handlers) on a fresh database in `dir`, as the CLI opens it. */
export const openTestApplication = (dir: string): Promise<Application> =>
  openApplication(loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY }));

/** Just the database of a data directory, migrated. */
export const openTestDatabase = (dir: string, file = 'gatehouse.db'): Promise<Database> => Database.open({ path: `${dir}/${file}`, entities: ENTITIES });
