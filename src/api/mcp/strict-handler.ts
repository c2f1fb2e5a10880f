import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { WireError } from './errors';
import { z } from 'zod';

type RequestSchema = z.ZodType<{ method: string }> & { shape: { method: { value: string } } };

const makeEnvelope = (method: string) => z.object({ method: z.literal(method) }).passthrough();

/**
 * One envelope per method for the whole process: every session registers the same handlers,
 * and a zod schema is big (11 of them cost ~40 KiB, a session's worth of memory again).
 */
const envelopes = new Map<string, ReturnType<typeof makeEnvelope>>();

const envelopeOf = (method: string): ReturnType<typeof makeEnvelope> => {
  let envelope = envelopes.get(method);
  if (!envelope) {
    envelope = makeEnvelope(method);
    envelopes.set(method, envelope);
  }
  return envelope;
};

/** The one method the SDK's Server parses with its full schema before any handler runs. */
const SELF_VALIDATED = 'tools/call';

/**
 * Registers a request handler whose params are validated here rather than by the SDK: the SDK
 * answers a params schema failure as -32603 (internal error), while a client that sent bad
 * params must get -32602 naming what was wrong. The SDK sees only a method-level envelope.
 */
export const setStrictHandler = <S extends RequestSchema>(
  server: Server,
  schema: S,
  handler: (request: z.output<S>, extra: unknown) => unknown,
): void => {
  const method = schema.shape.method.value;
  // The SDK's Server validates tools/call itself (with this very schema, answering -32602):
  // parsing the hot path's every request twice would cost a second zod parse per call.
  if (method === SELF_VALIDATED) {
    server.setRequestHandler(envelopeOf(method), (request, extra) => handler(request as z.output<S>, extra) as never);
    return;
  }
  server.setRequestHandler(envelopeOf(method), (request, extra) => {
    const parsed = schema.safeParse(request);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${['params', ...issue.path.slice(1)].join('.')}: ${issue.message}`).join('; ');
      throw new WireError(ErrorCode.InvalidParams, `Invalid params for ${method}: ${problems}`);
    }
    return handler(parsed.data, extra) as never;
  });
};
