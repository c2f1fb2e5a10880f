import 'reflect-metadata';
import { ENTITIES } from './src/infrastructure/application';
import { createSqliteDataSource } from './src/infrastructure/persistence/data-source';

/**
 * For the TypeORM CLI (`npx typeorm -d dist/ormconfig.js migration:show`): the writer connection
 * the gateway opens, on GATEHOUSE_DATABASE. The gateway itself opens it in
 * src/infrastructure/persistence/database.ts.
 */
export default createSqliteDataSource(process.env.GATEHOUSE_DATABASE ?? 'gatehouse.db', ENTITIES);
