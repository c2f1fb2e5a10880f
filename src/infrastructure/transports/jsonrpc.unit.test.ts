import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { asJsonRpcMessage } from './jsonrpc';

const RELATED_TASK = 'io.modelcontextprotocol/related-task';

const json = fc.jsonValue({ maxDepth: 2 });
/** Ids and tokens at the edges of `string | safe integer`. */
const idLike = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.constantFrom(2 ** 53, -(2 ** 53), 2 ** 53 - 1, 1.5, -0, null, true),
  json,
);
/** Mostly well-formed `_meta`: a related-task reference with and without keys zod strips. */
const meta = fc.oneof(
  { weight: 1, arbitrary: json },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        progressToken: fc.oneof({ weight: 3, arbitrary: fc.oneof(fc.integer(), fc.string({ maxLength: 4 })) }, { weight: 1, arbitrary: idLike }),
        [RELATED_TASK]: fc.oneof(
          { weight: 1, arbitrary: json },
          { weight: 4, arbitrary: fc.record({ taskId: fc.oneof({ weight: 4, arbitrary: fc.string() }, { weight: 1, arbitrary: json }), extra: json }, { requiredKeys: ['taskId'] }) },
        ),
        other: json,
      },
      { requiredKeys: [] },
    ),
  },
);
const metaCarrier = fc.oneof({ weight: 1, arbitrary: json }, { weight: 4, arbitrary: fc.record({ _meta: meta, name: json }, { requiredKeys: [] }) });
const errorObject = fc.oneof(
  { weight: 1, arbitrary: json },
  {
    weight: 4,
    arbitrary: fc.record(
      { code: fc.oneof({ weight: 4, arbitrary: fc.integer() }, { weight: 1, arbitrary: fc.oneof(fc.double(), fc.string()) }), message: fc.oneof({ weight: 4, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.integer() }), data: json, extra: json },
      { requiredKeys: ['code', 'message'] },
    ),
  },
);
const anyKeys = {
  jsonrpc: fc.oneof({ weight: 9, arbitrary: fc.constant('2.0') }, { weight: 1, arbitrary: json }),
  id: idLike,
  method: fc.oneof({ weight: 5, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: json }),
  params: metaCarrier,
  result: metaCarrier,
  error: errorObject,
  unexpected: json,
};
/** Near-valid messages of each kind (an odd key now and then), and any mix of keys. */
const shaped = (...keys: (keyof typeof anyKeys)[]) => fc.tuple(fc.record(anyKeys, { requiredKeys: [] }), fc.integer({ min: 0, max: 9 })).map(([all, noise]) => {
  const chosen: Record<string, unknown> = Object.fromEntries(Object.entries(all).filter(([key]) => keys.includes(key as keyof typeof anyKeys)));
  if (noise === 0) Object.assign(chosen, all);
  return { jsonrpc: '2.0', ...chosen };
});
const message = fc.oneof(
  shaped('id', 'method', 'params'),
  shaped('method', 'params'),
  shaped('id', 'result'),
  shaped('id', 'error'),
  shaped('error'),
  fc.record(anyKeys, { requiredKeys: [] }),
);

/** Round-tripped through JSON, as the transport only ever sees parsed bodies. */
const asParsed = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');

describe('asJsonRpcMessage', () => {
  it('accepts exactly what JSONRPCMessageSchema accepts, and returns what its parse returns', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 9, arbitrary: message }, { weight: 1, arbitrary: json }), (generated) => {
        const value = asParsed(generated);
        const expected = JSONRPCMessageSchema.safeParse(value);
        const actual = asJsonRpcMessage(value);
        expect(actual === undefined).toBe(!expected.success);
        if (expected.success) expect(actual).toEqual(expected.data);
      }),
      { numRuns: 5_000 },
    );
  });

  it.each([
    ['a request with a string id', { jsonrpc: '2.0', id: 'a', method: 'ping' }, true],
    ['a request at the largest safe integer id', { jsonrpc: '2.0', id: 2 ** 53 - 1, method: 'ping' }, true],
    ['a request with a fractional id', { jsonrpc: '2.0', id: 1.5, method: 'ping' }, false],
    ['a request with a null id', { jsonrpc: '2.0', id: null, method: 'ping' }, false],
    ['a request with array params', { jsonrpc: '2.0', id: 1, method: 'ping', params: [] }, false],
    ['a notification with an unknown key', { jsonrpc: '2.0', method: 'notifications/x', extra: 1 }, false],
    ['a result that is not an object', { jsonrpc: '2.0', id: 1, result: 'ok' }, false],
    ['an error response without an id', { jsonrpc: '2.0', error: { code: -1, message: 'm' } }, true],
    ['an error response with a null id', { jsonrpc: '2.0', id: null, error: { code: -1, message: 'm' } }, false],
    ['a response carrying both result and error', { jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'm' } }, false],
    ['a request carrying a result', { jsonrpc: '2.0', id: 1, method: 'ping', result: {} }, false],
  ])('%s: accepted %s', (_what, value, accepted) => {
    expect(asJsonRpcMessage(value) !== undefined).toBe(accepted);
    expect(JSONRPCMessageSchema.safeParse(value).success).toBe(accepted);
  });

  it('strips what zod strips: unknown keys of an error and of a related-task reference', () => {
    expect(asJsonRpcMessage({ jsonrpc: '2.0', id: 1, error: { code: 1, message: 'm', data: null, stack: 'x' } })).toEqual({ jsonrpc: '2.0', id: 1, error: { code: 1, message: 'm', data: null } });
    const params = { _meta: { progressToken: 7, [RELATED_TASK]: { taskId: 't', note: 'n' }, kept: true }, name: 'x' };
    expect(asJsonRpcMessage({ jsonrpc: '2.0', id: 1, method: 'tools/call', params })).toEqual({
      jsonrpc: '2.0', id: 1, method: 'tools/call', params: { _meta: { progressToken: 7, [RELATED_TASK]: { taskId: 't' }, kept: true }, name: 'x' },
    });
  });

  it('returns the message itself when nothing is stripped', () => {
    const request = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', _meta: { progressToken: 'p' } } };
    expect(asJsonRpcMessage(request)).toBe(request);
  });
});

describe('asJsonRpcMessage and an own __proto__ key', () => {
  // JSON.parse makes `__proto__` an ordinary own key; the schema's loose objects lose it.
  it.each([
    ['in a result\'s _meta', '{"jsonrpc":"2.0","id":"","result":{"_meta":{"__proto__":""}}}'],
    ['in a result', '{"jsonrpc":"2.0","id":1,"result":{"__proto__":{"polluted":true},"content":[]}}'],
    ['in params', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"__proto__":{"polluted":true},"name":"x"}}'],
    ['in a notification\'s _meta', '{"jsonrpc":"2.0","method":"notifications/progress","params":{"_meta":{"__proto__":{"a":1},"progressToken":1}}}'],
  ])('%s: dropped as the schema drops it, and never made a prototype', (_where, text) => {
    const value: unknown = JSON.parse(text);
    const expected = JSONRPCMessageSchema.parse(value);
    const actual = asJsonRpcMessage(value) as { params?: object; result?: object } | undefined;
    expect(actual).toEqual(expected);
    expect(JSON.stringify(actual)).not.toContain('__proto__');
    const carrier = actual?.params ?? actual?.result;
    expect(Object.getPrototypeOf(carrier)).toBe(Object.prototype);
    expect((carrier as { polluted?: unknown }).polluted).toBeUndefined();
    expect(JSON.stringify(value)).toContain('__proto__'); // the input is left as it was
  });

  it('keeps a __proto__ key deeper down, where the schema takes any value as it is', () => {
    const value: unknown = JSON.parse('{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"t","x":{"__proto__":1}}]}}');
    expect(asJsonRpcMessage(value)).toBe(value);
    expect(JSONRPCMessageSchema.parse(value)).toEqual(value);
  });
});
