import type { GatehouseConfig } from '../../infrastructure/config/config';
import { databaseLocation } from '../../infrastructure/config/database-url';
import { takeExclusiveUse } from '../../infrastructure/persistence/postgres-serving';
import { servingProcesses } from '../../infrastructure/persistence/serving-marker';

/**
 * For commands that must not run while a `gatehouse serve` uses the store: null (and the reason
 * on stderr) when one does; else what to call when done. On PostgreSQL the store is held for the
 * command meanwhile, so an instance that starts then waits until it is done.
 */
export const refuseWhileServed = async (command: string, config: GatehouseConfig): Promise<(() => Promise<void>) | null> => {
  if (config.databaseUrl === null) {
    const serving = servingProcesses(config.database);
    if (serving.length === 0) return async () => undefined;
    process.stderr.write(`gatehouse ${command}: gatehouse serve (pid ${serving.join(', ')}) is using ${config.database}: stop it, then run ${command}\n`);
    return null;
  }
  const use = await takeExclusiveUse(config.databaseUrl);
  if (use.serving.length === 0) return use.release;
  const count = use.serving.length === 1 ? 'a gatehouse serve is' : `${use.serving.length} gatehouse serve instances are`;
  process.stderr.write(
    `gatehouse ${command}: ${count} using ${databaseLocation(config)}:\n${use.serving.map((instance) => `  ${instance}\n`).join('')}stop ${use.serving.length === 1 ? 'it' : 'them'}, then run ${command}\n`,
  );
  return null;
};
