import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createDataSource } from '../../../ormconfig';
import { loadConfig } from '../../infrastructure/config/config';
import { MasterKeyRotationError, rotateMasterKey } from '../../infrastructure/crypto/master-key-rotation';
import { rawConnection } from '../../infrastructure/database';
import type { CliCommand } from './commands';
import { HELP_OPTION, out, parseCommandLine, runCommand, UsageError } from './cli-support';

const USAGE = `Usage: gatehouse secrets rotate-key

Rotates the master key. Secrets are sealed with data keys, which are stored wrapped by the
master key outside the event log: rotating rewraps the data keys in one transaction and
leaves every event as it is. A running \`gatehouse serve\` keeps working (it holds the data
keys, not the master key); processes started afterwards need the new key.

With the key file (<data dir>/secret.key, the default) a new random key replaces it, mode
0600. If the rotation is interrupted, run it again: it finishes or restarts it safely.

With GATEHOUSE_SECRET_KEY set, put the new key (64 hex digits, or base64 of 32 bytes, e.g.
from \`openssl rand -hex 32\`) in GATEHOUSE_NEW_SECRET_KEY; afterwards set
GATEHOUSE_SECRET_KEY to that value wherever Gatehouse runs. Keys are never printed.

Options:
  -h, --help  show this help
`;

export const secretsCommand: CliCommand = {
  summary: 'rotate the master key of the encrypted secrets (rotate-key)',
  run: (argv) =>
    runCommand('secrets', USAGE, async () => {
      const { values, positionals } = parseCommandLine({ args: [...argv], options: { ...HELP_OPTION }, allowPositionals: true });
      if (values.help) return (out(USAGE), 0);
      const [action, ...rest] = positionals;
      if (action !== 'rotate-key') throw new UsageError(action === undefined ? 'give an action: rotate-key' : `unknown action "${action}"`);
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      const config = loadConfig();
      if (config.database !== ':memory:') mkdirSync(dirname(config.database), { recursive: true, mode: 0o700 });
      // Not openDatabase: it must open the keyring with the current key, and after an
      // interrupted rotation only the pending key opens it.
      const dataSource = createDataSource(config.database);
      await dataSource.initialize();
      try {
        await dataSource.runMigrations({ transaction: 'each' });
        const newKey = process.env.GATEHOUSE_NEW_SECRET_KEY || undefined;
        const rotation = rotateMasterKey({ db: rawConnection(dataSource), dataDir: config.dataDir, currentKeyFromEnv: config.secretKey, newKey });
        if (rotation.completedInterrupted) out(`finished an interrupted rotation: ${rotation.keyFile} holds the new master key`);
        else if (rotation.keySource === 'file') out(`rotated the master key: ${rotation.dataKeys} data key(s) rewrapped; ${rotation.keyFile} holds the new key (mode 0600)`);
        else {
          out(`rotated the master key: ${rotation.dataKeys} data key(s) rewrapped.`);
          out('Set GATEHOUSE_SECRET_KEY to the value of GATEHOUSE_NEW_SECRET_KEY wherever Gatehouse runs: the old key no longer opens the secrets.');
        }
        return 0;
      } catch (error) {
        if (error instanceof MasterKeyRotationError) throw new UsageError(error.message);
        throw error;
      } finally {
        await dataSource.destroy();
      }
    }),
};
