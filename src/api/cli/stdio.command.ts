import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { randomUUID } from 'node:crypto';
import type { GatehouseContext } from '../../infrastructure/commands/context';
import { loadConfig } from '../../infrastructure/config/config';
import { openDatabase } from '../../infrastructure/database';
import { OAuthService } from '../../infrastructure/oauth';
import { McpGateway } from '../mcp/mcp-gateway';
import { Observability } from '../observability';
import type { CliCommand } from './commands';
import { HELP_OPTION, parseCommandLine, UsageError } from './cli-support';

const USAGE = 'Usage: gatehouse stdio --profile <slug>\n\nServes one profile over stdio, for MCP clients that spawn processes.\n';

/**
 * `gatehouse stdio --profile <slug>`: the profile's MCP endpoint on stdin/stdout. Whoever can
 * run this can read the database, so no API key is asked. Stdout carries only the protocol;
 * anything said to a person goes to stderr.
 */
export const stdioCommand: CliCommand = {
  summary: 'serve one profile over stdio (for clients that spawn processes)',
  run: async (argv) => {
    const { values } = parseCommandLine({ args: [...argv], options: { profile: { type: 'string', short: 'p' }, ...HELP_OPTION }, allowPositionals: false });
    if (values.help) {
      process.stderr.write(USAGE);
      return 0;
    }
    if (!values.profile) throw new UsageError('--profile <slug> is required');
    const config = loadConfig();
    const database = await openDatabase({ database: config.database, dataDir: config.dataDir, secretKey: config.secretKey });
    const context: GatehouseContext = { store: database.store, sql: database.sql, dataSource: database.dataSource, secrets: database.secrets };
    const log = (level: string, message: string, fields?: object): void => void process.stderr.write(`${JSON.stringify({ level, msg: message, ...fields })}\n`);
    // Debug logs and upstream OAuth tokens work as they do behind `serve`; nothing is logged to
    // stdout, which carries the protocol.
    const observability = new Observability({ database, adminToken: config.adminToken ?? '', logLevel: config.logLevel });
    const oauth = new OAuthService({ context, publicUrl: () => config.publicUrl, log });
    const gateway = await McpGateway.create({ context, log, traffic: observability.traffic, tokens: oauth.tokens });
    observability.observe(gateway);
    try {
      const profile = gateway.profileBySlug(values.profile);
      if (!profile) {
        process.stderr.write(`gatehouse: no profile "${values.profile}"\n`);
        return 1;
      }
      await gateway.followLog();
      const session = gateway.createSession(profile, null, randomUUID());
      const transport = new StdioServerTransport();
      const closed = new Promise<void>((resolve) => {
        process.stdin.once('close', () => resolve());
        process.stdin.once('end', () => resolve());
        process.once('SIGTERM', () => resolve());
        process.once('SIGINT', () => resolve());
      });
      gateway.register(session, transport);
      await session.connect(transport);
      await closed;
      return 0;
    } finally {
      await gateway.close();
      await observability.close();
      await database.close();
    }
  },
};
