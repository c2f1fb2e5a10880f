import type { Redactor } from './redaction';

/**
 * `ok`: answered with a result. `error`: a JSON-RPC error, a tool result with `isError`, a
 * request the client cancelled or the session dropped. `timeout`: the gateway gave up waiting
 * for the upstream (JSON-RPC -32001).
 */
export const TRAFFIC_STATUSES = ['ok', 'error', 'timeout'] as const;
export type TrafficStatus = (typeof TRAFFIC_STATUSES)[number];

export type TrafficKind = 'request' | 'notification';

export type ServerRef = Readonly<{ id: string; name: string }>;

/**
 * One downstream exchange as the request path captures it: references to the messages, no
 * serialization, no redaction. Those happen when the journal writes the batch, off the path.
 */
export type TrafficExchange = Readonly<{
  /** Epoch milliseconds when the request arrived. */
  at: number;
  profileId: string;
  profileSlug: string;
  sessionId: string;
  clientName: string | null;
  server: ServerRef | null;
  kind: TrafficKind;
  method: string;
  /** The tool or prompt name, or the resource URI, the request is about. */
  target: string | null;
  status: TrafficStatus;
  errorCode: number | null;
  errorMessage: string | null;
  durationMs: number;
  /** The JSON-RPC messages as received and as sent (for their sizes). */
  request: unknown;
  response: unknown;
  params: unknown;
  result: unknown;
  /** The secrets known when the exchange happened (a later rotation must not unhide them). */
  redactor: Redactor;
}>;

/** What the journal stores per exchange: redacted, truncated, self-contained. */
export type TrafficRecord = Readonly<{
  at: string;
  profileId: string;
  profileSlug: string;
  sessionId: string;
  clientName: string | null;
  serverId: string | null;
  serverName: string | null;
  kind: TrafficKind;
  method: string;
  target: string | null;
  status: TrafficStatus;
  errorCode: number | null;
  errorMessage: string | null;
  durationMs: number;
  requestBytes: number;
  responseBytes: number;
  /** JSON text, or a prefix of it when truncated. */
  params: string | null;
  paramsTruncated: boolean;
  result: string | null;
  resultTruncated: boolean;
}>;

/** Where the request path hands finished exchanges; must never block or throw. */
export interface TrafficSink {
  record(exchange: TrafficExchange): void;
}
