import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { DomainError } from '../../domain/shared';

/** Every call to an authorization server or a protected resource's metadata is bounded. */
export const OAUTH_HTTP_TIMEOUT_MS = 10_000;

/** fetch with a deadline, so a hung authorization server fails a request instead of holding it. */
export const timedFetch =
  (timeoutMs = OAUTH_HTTP_TIMEOUT_MS): FetchLike =>
  (url, init) =>
    fetch(url, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) });

export const upstreamError = (message: string, cause?: unknown): DomainError =>
  new DomainError('OAUTH_UPSTREAM_ERROR', cause instanceof Error ? `${message}: ${cause.message}` : message);

export const unsupported = (message: string): DomainError => new DomainError('OAUTH_UNSUPPORTED', message);

/** Issuer identifiers compare as URLs without a trailing slash (RFC 8414 §3.3 wants them equal). */
export const sameIssuer = (a: string, b: string): boolean => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
