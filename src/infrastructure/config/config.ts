import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseCorsOrigins } from './cors-origins';

export type GatehouseConfig = Readonly<{
  dataDir: string;
  database: string;
  host: string;
  port: number;
  /** From GATEHOUSE_ADMIN_TOKEN; null means "use (or create) <dataDir>/admin.token". */
  adminToken: string | null;
  secretKey: string | undefined;
  publicUrl: string;
  logLevel: string;
  /** GATEHOUSE_CORS_ORIGINS: exact browser origins allowed by CORS; empty: no CORS at all. */
  corsOrigins: readonly string[];
  /** GATEHOUSE_AUTH_FAILURES_PER_MINUTE: failed authentications per client address before 429. */
  authFailuresPerMinute: number;
}>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const DEFAULT_PORT = 7300;
const DEFAULT_AUTH_FAILURES_PER_MINUTE = 20;

const parseAuthFailures = (text: string | undefined): number => {
  if (text === undefined || text === '') return DEFAULT_AUTH_FAILURES_PER_MINUTE;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) {
    throw new ConfigError(`GATEHOUSE_AUTH_FAILURES_PER_MINUTE must be an integer 1..1000000, got "${text}"`);
  }
  return limit;
};

const parsePort = (text: string | undefined): number => {
  if (text === undefined || text === '') return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(`GATEHOUSE_PORT must be an integer 0..65535, got "${text}"`);
  return port;
};

const parseCorsOriginsSetting = (text: string | undefined): string[] => {
  try {
    return parseCorsOrigins(text);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
};

/** Reads the environment variables of ARCHITECTURE §6; every one has a default. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): GatehouseConfig => {
  const dataDir = resolve(env.GATEHOUSE_DATA_DIR || join(homedir(), '.gatehouse'));
  const databaseSetting = env.GATEHOUSE_DATABASE || 'gatehouse.db';
  const database = databaseSetting === ':memory:' || isAbsolute(databaseSetting) ? databaseSetting : join(dataDir, databaseSetting);
  const host = env.GATEHOUSE_HOST || '127.0.0.1';
  const port = parsePort(env.GATEHOUSE_PORT);
  const adminToken = env.GATEHOUSE_ADMIN_TOKEN ? env.GATEHOUSE_ADMIN_TOKEN : null;
  if (adminToken !== null && adminToken.length < 16) throw new ConfigError('GATEHOUSE_ADMIN_TOKEN must be at least 16 characters');
  return {
    dataDir,
    database,
    host,
    port,
    adminToken,
    secretKey: env.GATEHOUSE_SECRET_KEY,
    publicUrl: (env.GATEHOUSE_PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/$/, ''),
    logLevel: env.GATEHOUSE_LOG_LEVEL || 'info',
    corsOrigins: parseCorsOriginsSetting(env.GATEHOUSE_CORS_ORIGINS),
    authFailuresPerMinute: parseAuthFailures(env.GATEHOUSE_AUTH_FAILURES_PER_MINUTE),
  };
};
