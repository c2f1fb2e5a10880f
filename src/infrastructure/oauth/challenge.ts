/** What an upstream's 401 said about where to authorize (RFC 6750 §3, RFC 9728 §5.1). */
export type Challenge = Readonly<{
  at: string;
  resourceMetadataUrl: string | null;
  scope: string | null;
  error: string | null;
}>;

const param = (header: string, name: string): string | null => {
  const match = new RegExp(`(?:^|[\\s,])${name}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s,]+))`, 'i').exec(header);
  if (!match) return null;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
};

const httpUrlOrNull = (value: string | null): string | null => {
  if (value === null) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
};

/** Reads a `WWW-Authenticate: Bearer …` challenge; other schemes carry nothing for OAuth. */
export const parseChallenge = (header: string | null, at: Date): Challenge => {
  const bearer = header !== null && /^\s*bearer\b/i.test(header) ? header : '';
  return {
    at: at.toISOString(),
    resourceMetadataUrl: httpUrlOrNull(param(bearer, 'resource_metadata')),
    scope: param(bearer, 'scope'),
    error: param(bearer, 'error'),
  };
};
