import { inNameOrder, mergeCacheHints } from './modern-cache';
import { notificationFor, parseFilter } from './modern-listen';
import { classify, decodeHeaderValue, HEADER_MISMATCH, META, UNSUPPORTED_PROTOCOL_VERSION, type ModernHeaders } from './modern-request';

const meta = { [META.protocolVersion]: '2026-07-28', [META.clientCapabilities]: {} };
const headers = (method: string, extra: ModernHeaders = {}): ModernHeaders => ({ protocolVersion: '2026-07-28', method, ...extra });
const request = (method: string, params: Record<string, unknown> = { _meta: meta }) => ({ jsonrpc: '2.0', id: 9, method, params });

describe('classify: which POSTs are MCP 2026-07-28, and the spec errors for bad ones', () => {
  describe('given 2025 traffic', () => {
    it('a request on a session stays legacy, even with a 2026 envelope', () => {
      expect(classify({ ...headers('tools/list'), sessionId: 'abc' }, request('tools/list')).kind).toBe('legacy');
    });
    it('an initialize without a 2026 envelope, a batch, and a request without any 2026 claim stay legacy', () => {
      expect(classify({}, request('initialize', { protocolVersion: '2025-11-25' })).kind).toBe('legacy');
      expect(classify({}, [request('tools/list')]).kind).toBe('legacy');
      expect(classify({ protocolVersion: '2025-11-25' }, request('tools/list', {})).kind).toBe('legacy');
    });
  });

  describe('given a 2026 request', () => {
    it('with a valid envelope and headers, it is served', () => {
      const verdict = classify(headers('tools/call', { name: 'echo' }), request('tools/call', { name: 'echo', _meta: meta }));
      expect(verdict).toMatchObject({ kind: 'request', request: { id: 9, method: 'tools/call', version: '2026-07-28' } });
    });
    it('with a 2026 header but no envelope: -32602 naming the missing key, 400', () => {
      expect(classify(headers('tools/list'), request('tools/list', {}))).toMatchObject({ kind: 'refused', status: 400, code: -32602, id: 9 });
      const noCaps = classify(headers('tools/list'), request('tools/list', { _meta: { [META.protocolVersion]: '2026-07-28' } }));
      expect(noCaps).toMatchObject({ kind: 'refused', status: 400, code: -32602 });
      expect((noCaps as { message: string }).message).toContain(META.clientCapabilities);
    });
    it('with headers that disagree with the body: -32020, 400', () => {
      expect(classify(headers('prompts/list'), request('tools/list'))).toMatchObject({ status: 400, code: HEADER_MISMATCH });
      expect(classify({ ...headers('tools/list'), protocolVersion: '2026-08-01' }, request('tools/list'))).toMatchObject({ status: 400, code: HEADER_MISMATCH });
      expect(classify(headers('tools/call', { name: 'other' }), request('tools/call', { name: 'echo', _meta: meta }))).toMatchObject({ code: HEADER_MISMATCH });
      expect(classify(headers('tools/call', { name: '=?base64?!!?=' }), request('tools/call', { name: 'echo', _meta: meta }))).toMatchObject({ code: HEADER_MISMATCH });
    });
    it('with a standard header missing: -32020, 400', () => {
      expect(classify({ method: 'tools/list' }, request('tools/list'))).toMatchObject({ status: 400, code: HEADER_MISMATCH });
      expect(classify({ protocolVersion: '2026-07-28' }, request('tools/list'))).toMatchObject({ status: 400, code: HEADER_MISMATCH });
      expect(classify(headers('tools/call'), request('tools/call', { name: 'echo', _meta: meta }))).toMatchObject({ code: HEADER_MISMATCH });
    });
    it('naming a version the endpoint does not serve: -32022 listing the supported ones', () => {
      const verdict = classify(headers('server/discover', { protocolVersion: 'v999.0.0' }), request('server/discover', { _meta: { ...meta, [META.protocolVersion]: 'v999.0.0' } }));
      expect(verdict).toMatchObject({ status: 400, code: UNSUPPORTED_PROTOCOL_VERSION, data: { requested: 'v999.0.0', supported: expect.arrayContaining(['2026-07-28', '2025-11-25']) } });
    });
    it('an initialize carrying a valid 2026 envelope is a 2026 request (answered method-not-found later)', () => {
      expect(classify(headers('initialize'), request('initialize')).kind).toBe('request');
      expect(classify(headers('initialize'), request('initialize', {})).kind).toBe('refused');
    });
  });

  it('a 2026 notification is accepted; one whose Mcp-Method disagrees is -32020', () => {
    expect(classify(headers('notifications/cancelled'), { jsonrpc: '2.0', method: 'notifications/cancelled', params: { _meta: meta } }).kind).toBe('notification');
    expect(classify(headers('x'), { jsonrpc: '2.0', method: 'notifications/cancelled', params: { _meta: meta } })).toMatchObject({ code: HEADER_MISMATCH });
  });

  it('decodes base64 header values and refuses malformed ones', () => {
    expect(decodeHeaderValue(`=?base64?${Buffer.from('héllo').toString('base64')}?=`)).toBe('héllo');
    expect(decodeHeaderValue('=?base64?abc?=')).toBeUndefined();
    expect(decodeHeaderValue('plain')).toBe('plain');
  });
});

describe('mergeCacheHints: the smallest ttl, private when any part is', () => {
  it('given upstreams with hints, takes the smallest ttlMs', () => {
    expect(mergeCacheHints([{ ttlMs: 5000, cacheScope: 'public' }, { ttlMs: 200, cacheScope: 'public' }])).toEqual({ ttlMs: 200, cacheScope: 'public' });
  });
  it('given an upstream without hints (2025), promises nothing', () => {
    expect(mergeCacheHints([{ ttlMs: 5000 }, undefined])).toEqual({ ttlMs: 0, cacheScope: 'public' });
  });
  it('given a private part, a per-client connection or per-key differences, is private', () => {
    expect(mergeCacheHints([{ ttlMs: 10, cacheScope: 'private' }, { ttlMs: 10 }]).cacheScope).toBe('private');
    expect(mergeCacheHints([{ ttlMs: 10, perClient: true }]).cacheScope).toBe('private');
    expect(mergeCacheHints([{ ttlMs: 10 }], { perKey: true }).cacheScope).toBe('private');
    expect(mergeCacheHints([], { perKey: true })).toEqual({ ttlMs: 0, cacheScope: 'private' });
  });
  it('orders tools by name', () => {
    expect(inNameOrder([{ name: 'b' }, { name: 'a__x' }, { name: 'A' }]).map((t) => t.name)).toEqual(['A', 'a__x', 'b']);
  });
});

describe('subscriptions/listen filter', () => {
  it('keeps what was asked and refuses malformed filters', () => {
    expect(parseFilter({ notifications: { toolsListChanged: true, promptsListChanged: false, resourceSubscriptions: ['a', 'a'] } })).toEqual({ toolsListChanged: true, resourceSubscriptions: ['a'] });
    expect(typeof parseFilter({})).toBe('string');
    expect(typeof parseFilter({ notifications: { toolsListChanged: 'yes' } })).toBe('string');
  });
  it('sends only the kinds in the filter', () => {
    expect(notificationFor({ serverId: 's', kind: 'tools_changed' }, { promptsListChanged: true })).toBeUndefined();
    expect(notificationFor({ serverId: 's', kind: 'tools_changed' }, { toolsListChanged: true })).toEqual({ method: 'notifications/tools/list_changed', params: {} });
    expect(notificationFor({ serverId: 's', kind: 'resource_updated', params: { uri: 'x' } }, { resourceSubscriptions: ['y'] })).toBeUndefined();
    expect(notificationFor({ serverId: 's', kind: 'resource_updated', params: { uri: 'x' } }, { resourceSubscriptions: ['x'] })).toMatchObject({ params: { uri: 'x' } });
  });
});
