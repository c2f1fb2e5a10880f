/**
 * `settings.upstreamAllowedHosts`: when the list is not empty, the gateway connects only to
 * http(s) URLs whose host is on it. Hosts match exactly and case-insensitively (no wildcards,
 * no subdomains); an IPv6 host is written in brackets, as URLs write it (`[::1]`).
 */
export const isHttpUrl = (url: URL): boolean => url.protocol === 'http:' || url.protocol === 'https:';

export const isHostAllowed = (url: URL, allowedHosts: readonly string[]): boolean =>
  allowedHosts.length === 0 || allowedHosts.some((host) => host.toLowerCase() === url.hostname.toLowerCase());

/** Why `text` may not be an upstream URL under `allowedHosts`, or null when it may. */
export const upstreamUrlRefusal = (text: string, allowedHosts: readonly string[]): string | null => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (!isHttpUrl(url)) return `uses ${url.protocol}; only http: and https: upstreams are allowed`;
  if (url.username !== '' || url.password !== '') return 'must not carry credentials; use headers or bearerToken, which are stored encrypted';
  if (!isHostAllowed(url, allowedHosts)) return `has host ${url.hostname}, which is not in settings.upstreamAllowedHosts`;
  return null;
};

type Fetch = typeof fetch;

/**
 * A fetch for an upstream's SDK transport under an allowlist: every request (the SSE stream,
 * its message endpoint, a re-initialise) is checked, and redirects are refused, since a
 * redirect from an allowed host could lead anywhere.
 */
export const allowlistedFetch = (allowedHosts: () => readonly string[], base: Fetch = fetch): Fetch =>
  (async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => {
    const target = new URL(input instanceof Request ? input.url : String(input));
    const hosts = allowedHosts();
    if (!isHttpUrl(target) || !isHostAllowed(target, hosts)) {
      throw new TypeError(`upstream host ${target.hostname} is not in settings.upstreamAllowedHosts`);
    }
    return base(input, hosts.length > 0 ? { ...init, redirect: 'error' } : init);
  }) as Fetch;
