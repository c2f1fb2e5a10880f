import { loadConfig } from '../../infrastructure/config/config';
import { rotateAdminTokenFile } from '../../infrastructure/config/admin-token-file';
import type { CliCommand } from './cli-command';
import { HELP_OPTION, out, parseCommandLine, runCommand, UsageError } from './cli-support';

const USAGE = `Usage: gatehouse admin-token rotate [--print]

Replaces the admin token in <data dir>/admin.token (mode 0600) with a new random one. A
running \`gatehouse serve\` accepts the new token from its next request on, and the old one
no more. The token is not printed unless --print is given (for a script to capture it).

When GATEHOUSE_ADMIN_TOKEN is set, the token comes from the environment and there is no
file to rotate: set that variable to a new value (e.g. \`openssl rand -base64 32\`) and
restart the server.

Options:
  --print     print the new token on stdout
  -h, --help  show this help
`;

export const adminTokenCommand: CliCommand = {
  run: (argv) =>
    runCommand('admin-token', USAGE, async () => {
      const { values, positionals } = parseCommandLine({ args: [...argv], options: { ...HELP_OPTION, print: { type: 'boolean' } }, allowPositionals: true });
      if (values.help) return (out(USAGE), 0);
      const [action, ...rest] = positionals;
      if (action !== 'rotate') throw new UsageError(action === undefined ? 'give an action: rotate' : `unknown action "${action}"`);
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      const config = loadConfig();
      if (config.adminToken !== null) {
        process.stderr.write(
          'gatehouse admin-token: GATEHOUSE_ADMIN_TOKEN is set, so the admin token comes from the environment; ' +
            'set it to a new value (e.g. `openssl rand -base64 32`) and restart `gatehouse serve`\n',
        );
        return 1;
      }
      const { path, token } = rotateAdminTokenFile(config.dataDir);
      if (values.print) out(token);
      else process.stderr.write(`rotated the admin token: the new one is in ${path} (mode 0600)\n`);
      return 0;
    }),
};
