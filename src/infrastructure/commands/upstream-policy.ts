import { DomainError } from '../../domain/shared';
import { upstreamUrlRefusal } from '../upstream/host-allowlist';
import type { EventLog } from '../eventstore';
import { currentSettings } from '../readmodels/settings';

/**
 * Refuses a command that would point a server at a URL the gateway must not connect to:
 * not http(s), with credentials in it, or (when settings.upstreamAllowedHosts is not empty)
 * on a host outside the allowlist. Checked where a URL is set (register, reconfigure, revert,
 * import); the connection layer checks the allowlist again at connect time, since settings
 * can be tightened after a server was registered.
 */
export const assertUpstreamUrlAllowed = async (log: EventLog, url: string | null | undefined, field = 'url'): Promise<void> => {
  if (url === null || url === undefined) return;
  const refusal = upstreamUrlRefusal(url, (await currentSettings(log)).settings.upstreamAllowedHosts);
  if (refusal !== null) throw new DomainError('INVALID_SERVER_CONFIG', `The upstream URL ${refusal}`, { field });
};

/** The same rule for many servers at once (an import): one field error per refused URL. */
export const refusedUpstreamUrls = async (
  log: EventLog,
  servers: readonly Readonly<{ name: string; url: string | null }>[],
  fieldOf: (name: string) => string,
): Promise<{ field: string; messages: string[] }[]> => {
  const allowedHosts = (await currentSettings(log)).settings.upstreamAllowedHosts;
  return servers.flatMap(({ name, url }) => {
    const refusal = url === null ? null : upstreamUrlRefusal(url, allowedHosts);
    return refusal === null ? [] : [{ field: fieldOf(name), messages: [`the upstream URL ${refusal}`] }];
  });
};
