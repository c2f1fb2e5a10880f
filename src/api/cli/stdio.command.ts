import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { randomUUID } from 'node:crypto';
import { openApplication } from '../../infrastructure/application';
import { startGateway } from '../../infrastructure/gateway';
import { loadConfig } from '../../infrastructure/config/config';
import { DownstreamSession } from '../mcp/downstream-session';
import type { CliCommand } from './cli-command';
import { HELP_OPTION, parseCommandLine, UsageError } from './cli-support';

const USAGE = 'Usage: gatehouse stdio --profile <slug>\n\nServes one profile over stdio, for MCP clients that spawn processes.\n';

/**
 * `gatehouse stdio --profile <slug>`: the profile's MCP endpoint on stdin/stdout. Whoever can
 * run this can read the database, so no API key is asked. Stdout carries only the protocol;
 * debug logs and upstream OAuth tokens work as they do behind `serve`, and nothing is logged
 * to stdout.
 */
export const stdioCommand: CliCommand = {
  run: async (argv) => {
    const { values } = parseCommandLine({ args: [...argv], options: { profile: { type: 'string', short: 'p' }, ...HELP_OPTION }, allowPositionals: false });
    if (values.help) {
      process.stderr.write(USAGE);
      return 0;
    }
    if (!values.profile) throw new UsageError('--profile <slug> is required');
    const config = loadConfig();
    const app = await openApplication(config);
    for (const file of app.looseFiles) process.stderr.write(`gatehouse: warning: ${file}; other users than its owner can read it: chmod 600 it\n`);
    try {
      const gateway = await startGateway(app, { adminToken: config.adminToken ?? '', publicUrl: () => config.publicUrl });
      try {
        const profile = await gateway.profiles.bySlug(values.profile);
        if (!profile) {
          process.stderr.write(`gatehouse: no profile "${values.profile}"\n`);
          return 1;
        }
        const closed = new Promise<void>((resolve) => {
          process.stdin.once('close', () => resolve());
          process.stdin.once('end', () => resolve());
          process.once('SIGTERM', () => resolve());
          process.once('SIGINT', () => resolve());
        });
        await DownstreamSession.open(gateway, { sessionId: randomUUID(), profile, keyId: null, transport: new StdioServerTransport() }).opened;
        await closed;
        return 0;
      } finally {
        await gateway.close();
      }
    } finally {
      await app.close();
    }
  },
};
