import { DomainError } from '../shared';
import type { Settings } from './events';

type NumericSetting = { [K in keyof Settings]-?: Settings[K] extends number ? K : never }[keyof Settings];
type Range = Readonly<{ min: number; max: number }>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Inclusive bounds of every numeric setting; all are integers. */
export const SETTING_RANGES: Readonly<Record<NumericSetting, Range>> = {
  requestTimeoutMs: { min: 100, max: HOUR_MS },
  connectTimeoutMs: { min: 100, max: HOUR_MS },
  sessionIdleTimeoutMs: { min: 100, max: 7 * DAY_MS },
  logRetentionDays: { min: 0, max: 3650 },
  logMaxRows: { min: 0, max: 100_000_000 },
  logPayloadMaxBytes: { min: 256, max: 10_485_760 },
  maxProcessesPerServer: { min: 1, max: 1000 },
};

export const MAX_ALLOWED_HOSTS = 256;

/** A DNS name (labels of letters, digits and inner hyphens), an IPv4 address, or an IPv6 literal in brackets. */
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const IPV6_LITERAL = /^\[[0-9a-f:.]+\]$/i;

const invalid = (field: string, message: string, details: Record<string, unknown> = {}): DomainError =>
  new DomainError('INVALID_ARGUMENT', message, { field, ...details });

const assertAllowedHosts = (hosts: readonly string[]): void => {
  const field = 'upstreamAllowedHosts';
  if (hosts.length > MAX_ALLOWED_HOSTS) throw invalid(field, `at most ${MAX_ALLOWED_HOSTS} hosts are allowed`);
  const seen = new Set<string>();
  hosts.forEach((host, index) => {
    if (!HOSTNAME.test(host) && !IPV6_LITERAL.test(host)) {
      throw invalid(field, `"${host}" is not a host name`, { index });
    }
    const key = host.toLowerCase();
    if (seen.has(key)) throw invalid(field, `"${host}" is listed twice`, { index });
    seen.add(key);
  });
};

export const assertValidSettings = (settings: Settings): void => {
  for (const [field, { min, max }] of Object.entries(SETTING_RANGES)) {
    const value = settings[field as NumericSetting];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw invalid(field, `${field} must be an integer from ${min} to ${max}`);
    }
  }
  assertAllowedHosts(settings.upstreamAllowedHosts);
};
