import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ProxyError } from '../../infrastructure/proxy/profile-proxy';
import { UpstreamError } from '../../infrastructure/upstream';
import { RESOURCE_NOT_FOUND, toMcpError } from './errors';

const server = { id: 's1', name: 'files' };

describe('toMcpError: the one place local errors become wire errors', () => {
  it.each([
    ['an unknown tool (the client asked for what is not there)', new ProxyError('UNKNOWN_TOOL', 'Unknown tool: x'), ErrorCode.InvalidParams],
    ['an unknown prompt', new ProxyError('UNKNOWN_PROMPT', 'Unknown prompt: x'), ErrorCode.InvalidParams],
    ['an unknown resource', new ProxyError('UNKNOWN_RESOURCE', 'Resource not found: x'), RESOURCE_NOT_FOUND],
    ['a session whose profile was deleted', new ProxyError('PROFILE_GONE', 'gone'), ErrorCode.InvalidRequest],
    ['a server that left the profile (a condition on the gateway side, never -32602)', new ProxyError('SERVER_GONE', 'left'), ErrorCode.InternalError],
    ['a name not found while a server that may hold it could not list (the gateway side, never -32602)', new ProxyError('LIST_UNAVAILABLE', 'not found'), ErrorCode.InternalError],
    ['an upstream that timed out', new UpstreamError('UPSTREAM_TIMEOUT', server, 'no answer'), ErrorCode.RequestTimeout],
    ['an upstream gone', new UpstreamError('UPSTREAM_CLOSED', server, 'closed'), ErrorCode.InternalError],
    ['a fault of ours', new TypeError('boom'), ErrorCode.InternalError],
  ])('%s', (_, error, code) => {
    expect(toMcpError(error).code).toBe(code);
  });

  it('marks the gateway\'s own unknown tool or prompt with its reason, which an upstream\'s -32602 does not carry', () => {
    expect(toMcpError(new ProxyError('UNKNOWN_TOOL', 'Unknown tool: x')).data).toEqual({ reason: 'UNKNOWN_TOOL' });
    expect(toMcpError(new ProxyError('UNKNOWN_PROMPT', 'Unknown prompt: x')).data).toEqual({ reason: 'UNKNOWN_PROMPT' });
    const upstream = new UpstreamError('UPSTREAM_RPC_ERROR', server, 'bad', { rpcError: { code: -32602, message: 'Unknown tool: y' } });
    expect(toMcpError(upstream).data).toBeUndefined();
  });

  it('passes an upstream JSON-RPC error through unchanged, and an McpError as it is', () => {
    const upstream = new UpstreamError('UPSTREAM_RPC_ERROR', server, 'bad', { rpcError: { code: -32099, message: 'custom', data: { a: 1 } } });
    expect(toMcpError(upstream)).toMatchObject({ code: -32099, data: { a: 1 } });
    const mcp = new McpError(ErrorCode.InvalidParams, 'x');
    expect(toMcpError(mcp)).toBe(mcp);
  });

  it('never shows an internal error message to the client', () => {
    expect(toMcpError(new TypeError('secret detail')).message).not.toContain('secret detail');
  });
});
