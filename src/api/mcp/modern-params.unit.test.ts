import { CallToolRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { isPlainToolCall } from './modern-params';
import type { Json } from './modern-request';

const ENVELOPE = {
  'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
  'io.modelcontextprotocol/clientInfo': { name: 'client', version: '1.0.0' },
};

/** What the endpoint's schema path makes of `params`: the parsed params over the sent ones, or null when the schema refuses them. */
const schemaPath = (params: Json): Json | null => {
  const parsed = CallToolRequestSchema.safeParse({ method: 'tools/call', params });
  return parsed.success ? { ...params, ...(parsed.data.params as Json) } : null;
};

const COMMON: readonly Json[] = [
  { name: 'echo' },
  { name: 'echo', arguments: { message: 'hi', nested: { list: [1, 2, { deep: null }] } } },
  { name: 'echo', arguments: {}, _meta: ENVELOPE },
  { name: 'echo', arguments: { a: 1 }, _meta: { ...ENVELOPE, progressToken: 7 } },
  { name: 'echo', _meta: { progressToken: 'token-1', other: { kept: true } } },
  { name: '', arguments: { constructor: 'x', prototype: 1 }, unknownField: [1] },
  { name: 'echo', requestState: 'sealed', inputResponses: { a: { action: 'accept' } } },
];

/** Params the fast check leaves to the schema: refused by it, or with parts it reads (task, related-task) or would change (__proto__). */
const LEFT_TO_SCHEMA: readonly Json[] = [
  {},
  { name: 7 },
  { name: null },
  { name: 'echo', arguments: [1, 2] },
  { name: 'echo', arguments: null },
  { name: 'echo', arguments: 'text' },
  { name: 'echo', _meta: null },
  { name: 'echo', _meta: [] },
  { name: 'echo', _meta: 'meta' },
  { name: 'echo', _meta: { progressToken: 1.5 } },
  { name: 'echo', _meta: { progressToken: 2 ** 60 } },
  { name: 'echo', _meta: { progressToken: {} } },
  { name: 'echo', _meta: { progressToken: true } },
  { name: 'echo', _meta: { 'io.modelcontextprotocol/related-task': { taskId: 't' } } },
  { name: 'echo', task: { ttl: 1000 } },
  { name: 'echo', arguments: JSON.parse('{"__proto__": {"polluted": true}}') as Json },
  { name: 'echo', _meta: JSON.parse('{"__proto__": {"polluted": true}}') as Json },
];

describe('isPlainToolCall: the tools/call params the endpoint takes without a schema parse', () => {
  it.each(COMMON)('takes %j, which the schema accepts and gives back unchanged', (params) => {
    expect(isPlainToolCall(params)).toBe(true);
    expect(schemaPath(params)).toEqual(params);
  });

  it.each(LEFT_TO_SCHEMA)('leaves %j to the schema', (params) => {
    expect(isPlainToolCall(params)).toBe(false);
  });

  it('never takes params the schema refuses', () => {
    for (const params of LEFT_TO_SCHEMA) if (schemaPath(params) === null) expect(isPlainToolCall(params)).toBe(false);
    // The refusals in the table are real: the schema still answers them with -32602 (modern-endpoint's parseParams).
    expect(LEFT_TO_SCHEMA.filter((params) => schemaPath(params) === null)).toHaveLength(13);
  });
});
