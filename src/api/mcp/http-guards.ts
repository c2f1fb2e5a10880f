import type { IncomingMessage, ServerResponse } from 'node:http';
import { hashApiKey } from '../../infrastructure/commands/apikey.commands';
import type { ProxyProfile } from '../../infrastructure/proxy/profile-config';
import type { KeyDirectory } from '../../infrastructure/proxy/key-directory';
import { checkJson } from '../security/json-safety';
import { presentedCredential } from '../security/auth-failures';
import { HttpRefusal } from '../../infrastructure/transports/streamable-http';
import { oauthSessionOwner } from '../../infrastructure/oauth-server/session-owner';
import { bearerToken, type McpOAuth } from '../oauth-server/mcp-bearer';
import { ADMIN_ACCOUNT } from '../oauth-server/oauth-profiles';

export const MCP_BODY_LIMIT = 1024 * 1024;

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]', '::1'];

const hostnameOf = (hostHeader: string): string => {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.split(':')[0].toLowerCase();
};

/**
 * DNS-rebinding protection: the Host must be one this gateway answers to (loopback, its bind
 * address, its public URL), and a browser's Origin must be one of those too.
 */
export const allowedHostnames = (bindHost: string, publicUrl: string): ReadonlySet<string> => {
  const names = new Set(LOOPBACK);
  if (bindHost !== '0.0.0.0' && bindHost !== '::') names.add(bindHost.includes(':') ? `[${bindHost}]` : bindHost);
  try {
    names.add(new URL(publicUrl).hostname.toLowerCase());
  } catch {
    // an unparsable public URL adds nothing
  }
  return names;
};

/** `trustedOrigins`: exact origins configured for CORS (GATEHOUSE_CORS_ORIGINS), also let through. */
export const checkOrigin = (req: IncomingMessage, allowed: ReadonlySet<string>, trustedOrigins: ReadonlySet<string> = new Set()): void => {
  const host = req.headers.host;
  if (host === undefined || !allowed.has(hostnameOf(host))) throw new HttpRefusal(403, -32000, 'Forbidden: Host not allowed');
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null' || trustedOrigins.has(origin)) return;
  try {
    if (allowed.has(new URL(origin).hostname.toLowerCase()) || allowed.has(`[${new URL(origin).hostname.replace(/^\[|\]$/g, '')}]`)) return;
  } catch {
    // fall through: an unparsable Origin is refused
  }
  throw new HttpRefusal(403, -32000, 'Forbidden: Origin not allowed');
};

export const presentedKey = (req: IncomingMessage, url: URL, profile: ProxyProfile): string | undefined =>
  presentedCredential(req, profile.auth.queryParam ? url : undefined);

/**
 * Who is calling an MCP endpoint: the key that opened it (or the OAuth grant's session owner, see
 * oauthSessionOwner; null for an open profile), and the user behind it (the key's owner, the
 * grant's account; null for the admin's keys and open profiles). Per-user servers use the user.
 */
export type Caller = Readonly<{ keyId: string | null; userId: string | null }>;

const NOBODY: Caller = { keyId: null, userId: null };

/**
 * Auth of an MCP endpoint by API key, by an OAuth access token Gatehouse issued for this
 * profile's endpoint, or either (the profile's `auth.mode`). Returns the Caller. 401 with
 * `WWW-Authenticate` (naming the protected resource metadata when OAuth is taken) for a
 * missing, unknown, revoked or expired credential and for a token of another profile; 403 for
 * a valid key that does not open this profile.
 */
export const authenticate = async (keys: KeyDirectory, req: IncomingMessage, url: URL, profile: ProxyProfile, oauth?: McpOAuth): Promise<Caller> => {
  const takesKeys = profile.auth.mode !== 'oauth' && profile.auth.apiKey;
  const takesTokens = profile.auth.mode !== 'api_keys' && oauth !== undefined;
  if (!takesKeys && profile.auth.mode === 'api_keys') return NOBODY;
  const scheme = takesTokens ? `Bearer resource_metadata="${oauth.resourceMetadataUrl(profile.slug)}"` : 'Bearer realm="gatehouse"';
  const challenge = { 'WWW-Authenticate': `${scheme}, error="invalid_token"` };
  const key = takesKeys ? presentedKey(req, url, profile) : bearerToken(req.headers.authorization);
  if (key === undefined) throw new HttpRefusal(401, -32001, `Unauthorized: ${takesKeys ? 'an API key' : 'an access token'} is required`, { 'WWW-Authenticate': scheme });
  const grant = takesKeys ? await keys.byHash(hashApiKey(key)) : undefined;
  if (!grant && takesTokens) {
    const check = await oauth.verify(key, oauth.resourceUrl(profile.slug));
    if (check.status === 'valid') return { keyId: oauthSessionOwner(check.grantId), userId: check.accountId === ADMIN_ACCOUNT ? null : check.accountId };
    const why = check.status === 'other_resource' ? 'the access token was issued for another endpoint' : 'invalid access token';
    throw new HttpRefusal(401, -32001, `Unauthorized: ${why}`, challenge);
  }
  if (!grant || grant.status !== 'active') throw new HttpRefusal(401, -32001, 'Unauthorized: invalid API key', challenge);
  if (grant.expiresAt !== null && grant.expiresAt <= new Date().toISOString()) throw new HttpRefusal(401, -32001, 'Unauthorized: the API key has expired', challenge);
  if (!grant.profiles.includes('*') && !grant.profiles.includes(profile.id)) throw new HttpRefusal(403, -32001, 'Forbidden: this API key does not open this profile');
  keys.used(grant.id);
  return { keyId: grant.id, userId: grant.ownerId };
};

const tooLarge = (limit: number): HttpRefusal => new HttpRefusal(413, -32600, `Request body larger than ${limit} bytes`);

const parseJsonBody = (text: string): unknown => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpRefusal(400, -32700, 'Parse error: the body is not valid JSON');
  }
  const unsafe = checkJson(text, parsed);
  if (unsafe) throw new HttpRefusal(400, -32600, `Invalid Request: ${unsafe.message}`);
  return parsed;
};

/**
 * Reads a JSON body up to the limit: 413 beyond it, a JSON-RPC parse error (400) when malformed.
 * Plain 'data'/'end' listeners: the stream's async iterator costs a promise per chunk. Past the
 * limit the request is paused, not destroyed, so the 413 still reaches the client.
 */
export const readJsonBody = (req: IncomingMessage, limit = MCP_BODY_LIMIT): Promise<unknown> => {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      settle();
      req.pause();
      reject(tooLarge(limit));
    };
    const onEnd = (): void => {
      settle();
      try {
        resolve(parseJsonBody((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)).toString('utf8')));
      } catch (error) {
        reject(error);
      }
    };
    const onError = (error: Error): void => {
      settle();
      reject(error);
    };
    // The client went away mid-body: nobody is left to read the refusal.
    const onClose = (): void => {
      settle();
      reject(new HttpRefusal(400, -32700, 'Parse error: the body ended early'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
};
