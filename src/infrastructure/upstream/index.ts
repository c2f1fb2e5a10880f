/**
 * Upstream MCP servers: connections, supervision and the pool. The proxy and the
 * configuration subscribers use only what is exported here.
 */
export * from './types';
export { UPSTREAM_ERROR_CODES, UpstreamError, isResendable, isUpstreamError, wireMessage } from './errors';
export type { UpstreamErrorCode, UpstreamRpcError } from './errors';
export { UpstreamPool } from './pool';
export type { UpstreamIsolation, UpstreamPoolOptions } from './pool';
export { UpstreamSupervisor } from './supervisor';
export { DEFAULT_CLIENT_CAPABILITIES, DEFAULT_CLIENT_INFO } from './supervisor-options';
export type { UpstreamSupervisorOptions } from './supervisor-options';
export { DEFAULT_BACKOFF } from './backoff';
export type { BackoffPolicy } from './backoff';
export { ChildProcessRegistry } from './process-group';
export type { UpstreamIdentity, UpstreamTokenSource } from './authorized-fetch';
