import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { CLIENT_METADATA_MODES, type ClientMetadataDocumentsMode } from '../oauth-server/client-metadata-documents';
import { parseCorsOrigins } from './cors-origins';

export type GatehouseConfig = Readonly<{
  dataDir: string;
  database: string;
  /** GATEHOUSE_DATABASE_URL (`postgres://…`): PostgreSQL instead of the SQLite file; null for SQLite. */
  databaseUrl: string | null;
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
  /**
   * GATEHOUSE_HTTP_REQUEST_TIMEOUT_MS: how long a client may take to send a whole request
   * (headers and body); responses, streamed ones included, are not bounded by it.
   */
  httpRequestTimeoutMs: number;
  /** GATEHOUSE_OAUTH_ACCESS_TOKEN_TTL: seconds an access token of Gatehouse's own authorization server lives (then it is refreshed). */
  oauthAccessTokenTtlSeconds: number;
  /** GATEHOUSE_OAUTH_CLIENT_METADATA: `on` (default), `off`, or `loopback` (also https documents on this machine: tests). */
  oauthClientMetadata: ClientMetadataDocumentsMode;
  /** GATEHOUSE_EXPIRED_SWEEP_SECONDS: how often `serve` deletes expired authorization-server records, browser sessions and setup links. */
  expiredSweepIntervalSeconds: number;
}>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const DEFAULT_PORT = 7300;
const DEFAULT_AUTH_FAILURES_PER_MINUTE = 20;
const DEFAULT_HTTP_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_OAUTH_ACCESS_TOKEN_TTL = 300;
const DEFAULT_EXPIRED_SWEEP_SECONDS = 600;

const parseInteger = (name: string, text: string | undefined, fallback: number, min: number, max: number): number => {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be an integer ${min}..${max}, got "${text}"`);
  return value;
};

const parseCorsOriginsSetting = (text: string | undefined): string[] => {
  try {
    return parseCorsOrigins(text);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
};

const parseClientMetadataMode = (text: string | undefined): ClientMetadataDocumentsMode => {
  if (text === undefined || text === '') return 'on';
  const mode = CLIENT_METADATA_MODES.find((candidate) => candidate === text);
  if (mode === undefined) throw new ConfigError(`GATEHOUSE_OAUTH_CLIENT_METADATA must be one of ${CLIENT_METADATA_MODES.join(', ')}, got "${text}"`);
  return mode;
};

/** Reads the environment variables of ARCHITECTURE §6; every one has a default. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): GatehouseConfig => {
  const dataDir = resolve(env.GATEHOUSE_DATA_DIR || join(homedir(), '.gatehouse'));
  const databaseSetting = env.GATEHOUSE_DATABASE || 'gatehouse.db';
  const database = databaseSetting === ':memory:' || isAbsolute(databaseSetting) ? databaseSetting : join(dataDir, databaseSetting);
  const databaseUrl = env.GATEHOUSE_DATABASE_URL || null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\/./i.test(databaseUrl)) throw new ConfigError('GATEHOUSE_DATABASE_URL must be a postgres:// or postgresql:// URL');
  const host = env.GATEHOUSE_HOST || '127.0.0.1';
  const port = parseInteger('GATEHOUSE_PORT', env.GATEHOUSE_PORT, DEFAULT_PORT, 0, 65_535);
  const adminToken = env.GATEHOUSE_ADMIN_TOKEN ? env.GATEHOUSE_ADMIN_TOKEN : null;
  if (adminToken !== null && adminToken.length < 16) throw new ConfigError('GATEHOUSE_ADMIN_TOKEN must be at least 16 characters');
  return {
    dataDir,
    database,
    databaseUrl,
    host,
    port,
    adminToken,
    secretKey: env.GATEHOUSE_SECRET_KEY,
    publicUrl: (env.GATEHOUSE_PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/$/, ''),
    logLevel: env.GATEHOUSE_LOG_LEVEL || 'info',
    corsOrigins: parseCorsOriginsSetting(env.GATEHOUSE_CORS_ORIGINS),
    authFailuresPerMinute: parseInteger('GATEHOUSE_AUTH_FAILURES_PER_MINUTE', env.GATEHOUSE_AUTH_FAILURES_PER_MINUTE, DEFAULT_AUTH_FAILURES_PER_MINUTE, 1, 1_000_000),
    httpRequestTimeoutMs: parseInteger('GATEHOUSE_HTTP_REQUEST_TIMEOUT_MS', env.GATEHOUSE_HTTP_REQUEST_TIMEOUT_MS, DEFAULT_HTTP_REQUEST_TIMEOUT_MS, 1_000, 3_600_000),
    oauthAccessTokenTtlSeconds: parseInteger('GATEHOUSE_OAUTH_ACCESS_TOKEN_TTL', env.GATEHOUSE_OAUTH_ACCESS_TOKEN_TTL, DEFAULT_OAUTH_ACCESS_TOKEN_TTL, 1, 86_400),
    oauthClientMetadata: parseClientMetadataMode(env.GATEHOUSE_OAUTH_CLIENT_METADATA),
    expiredSweepIntervalSeconds: parseInteger('GATEHOUSE_EXPIRED_SWEEP_SECONDS', env.GATEHOUSE_EXPIRED_SWEEP_SECONDS, DEFAULT_EXPIRED_SWEEP_SECONDS, 1, 86_400),
  };
};
