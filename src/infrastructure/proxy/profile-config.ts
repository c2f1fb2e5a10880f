import type { AuthMode, LinkStatus, ToolExposureMode, ToolPrefixMode } from '../../domain/profile/events';
import type { SealedMap, SealedSecret } from '../../domain/shared';
import { type EnvMap, isPlainEnvValue } from '../../domain/server/env';
import { openEnv, openMap, type SecretBox } from '../crypto';
import type { ProxyProfileRecord } from '../readmodels/profile';
import type { ServerRow } from '../readmodels/server';
import type { ApprovedTool } from '../../domain/server/events';
import type { UpstreamSpec } from '../upstream';
import { type ToolPins, toolPinsOf } from './tool-pins';

export type ToolSettingRow = Readonly<{
  status: LinkStatus;
  name: string | null;
  title: string | null;
  description: string | null;
  annotations: Readonly<Record<string, unknown>> | null;
}>;

/**
 * What the proxy needs of one profile, secrets opened in memory. Immutable: a configuration
 * change makes a new one, so whatever was built from one (routes, exposed names) stays valid
 * for exactly as long as the snapshot is the current one.
 */
export type ProxyProfile = Readonly<{
  id: string;
  slug: string;
  toolPrefix: ToolPrefixMode;
  toolExposure: ToolExposureMode;
  adaptiveToolLimit: number;
  auth: Readonly<{ apiKey: boolean; queryParam: boolean; mode: AuthMode }>;
  debugLogging: boolean;
  /** The servers whose link is active, in attach order. */
  servers: readonly UpstreamSpec[];
  /** Keyed by `<serverId>/<toolName>`. */
  tools: ReadonlyMap<string, ToolSettingRow>;
  /** Each server's tool pinning, by server id. */
  pins: ReadonlyMap<string, ToolPins>;
}>;

/** Decrypts a server's secrets into the spec the upstream layer connects with. Never logged. */
export const toUpstreamSpec = (secrets: SecretBox, row: ServerRow): UpstreamSpec => {
  const env = JSON.parse(row.env) as EnvMap;
  return {
  id: row.id,
  name: row.name,
  transport: row.transport as UpstreamSpec['transport'],
  command: row.command,
  args: JSON.parse(row.args) as string[],
  env: openEnv(secrets, env),
  plainEnvNames: Object.keys(env).filter((name) => isPlainEnvValue(env[name])),
  cwd: row.cwd,
  url: row.url,
  headers: openMap(secrets, JSON.parse(row.headers) as SealedMap),
  secretHeaderNames: JSON.parse(row.secretHeaders) as string[],
  bearerToken: row.bearerToken === null ? null : secrets.open(JSON.parse(row.bearerToken) as SealedSecret),
  timeoutMs: row.timeoutMs,
  isolation: row.isolation === 'per_session' ? 'per_session' : 'shared',
  credentials: row.credentials === 'per_user' ? 'per_user' : 'shared',
  };
};

/** A profile as the read models have it, opened for the proxy. */
export const toProxyProfile = (secrets: SecretBox, { profile, servers, tools }: ProxyProfileRecord): ProxyProfile => ({
  id: profile.id,
  slug: profile.slug,
  toolPrefix: profile.toolPrefix as ToolPrefixMode,
  toolExposure: profile.toolExposure as ToolExposureMode,
  adaptiveToolLimit: profile.adaptiveToolLimit,
  auth: { apiKey: profile.authApiKey === 1, queryParam: profile.authQueryParam === 1, mode: profile.authMode as AuthMode },
  debugLogging: profile.debugLogging === 1,
  servers: servers.map((row) => toUpstreamSpec(secrets, row)),
  pins: new Map(
    servers.map((row) => [row.id, toolPinsOf(row.toolPinning ?? 'off', JSON.parse(row.approvedTools ?? '[]') as ApprovedTool[], row.approveFirstDiscovery === 1)]),
  ),
  tools: new Map(
    tools.map((row) => [
      `${row.serverId}/${row.toolName}`,
      {
        status: row.status,
        name: row.overrideName,
        title: row.overrideTitle,
        description: row.overrideDescription,
        annotations: row.overrideAnnotations === null ? null : (JSON.parse(row.overrideAnnotations) as Record<string, unknown>),
      },
    ]),
  ),
});
