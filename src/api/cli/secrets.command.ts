import { rotateSecretKey } from '../../infrastructure/application';
import { loadConfig } from '../../infrastructure/config/config';
import { MasterKeyRotationError } from '../../infrastructure/crypto/master-key-rotation';
import type { CliCommand } from './cli-command';
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
  run: (argv) =>
    runCommand('secrets', USAGE, async () => {
      const { values, positionals } = parseCommandLine({ args: [...argv], options: { ...HELP_OPTION }, allowPositionals: true });
      if (values.help) return (out(USAGE), 0);
      const [action, ...rest] = positionals;
      if (action !== 'rotate-key') throw new UsageError(action === undefined ? 'give an action: rotate-key' : `unknown action "${action}"`);
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      const config = loadConfig();
      try {
        const rotation = await rotateSecretKey(config, process.env.GATEHOUSE_NEW_SECRET_KEY || undefined);
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
      }
    }),
};
