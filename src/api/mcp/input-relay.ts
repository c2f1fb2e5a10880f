/**
 * Translated requests across the instances of one PostgreSQL deployment. The upstream call of a
 * 2026 client's request that a 2025 upstream stopped to ask something waits in the instance that
 * answered the first round (its InputFlow); the client's retry may reach any instance. One that
 * does not hold the flow hands the retry to the instance the sealed state names, over the
 * InstanceMailbox, and answers its client with what comes back: the call's result, its next
 * `input_required` (whose state names the same holder), or its error. The holder checks the
 * retry as it checks its own clients' (the flow's client, the round: a replay is refused).
 */
import { randomUUID } from 'node:crypto';
import type { InstanceMailbox, InstanceMessage } from '../../infrastructure/mcp-sessions';
import type { StateOwner } from './modern-input';

type Json = Record<string, unknown>;

/**
 * A retry of a flow, as its holder needs it: the opened state (checked against `owner` by the
 * instance that opened it) and the client's request (its `inputResponses`; its method and params
 * say how an error is put to the client).
 */
export type FlowRetry = Readonly<{ flowId: string; round: number; owner: StateOwner; request: Readonly<{ method: string; params: Json }> }>;

/** A JSON-RPC error as the holder answered it, with its HTTP status. */
export type WireAnswer = Readonly<{ code: number; message: string; data?: unknown; status: number }>;

/** The holder's error, answered to the client as the holder would have. */
export class RelayedError extends Error {
  override readonly name = 'RelayedError';
  constructor(readonly wire: WireAnswer) {
    super(wire.message);
  }
}

/**
 * The instance that holds the flow did not take the retry (`HOLDER_GONE`: it stopped, and the
 * waiting call went with it) or did not answer it in time (`HOLDER_TIMEOUT`). A condition on the
 * gateway's side, not the client's: its requestState was good, so this is never -32602.
 */
export class HolderUnavailableError extends Error {
  override readonly name = 'HolderUnavailableError';
  constructor(readonly code: 'HOLDER_GONE' | 'HOLDER_TIMEOUT', message: string) {
    super(message);
  }
}

/** How long the holder has to say it took the retry: past it, the holder is taken to be gone. */
export const ACCEPT_TIMEOUT_MS = 3_000;

type Outcome = Readonly<{ result: Json }> | Readonly<{ error: WireAnswer }>;
type Waiter = { accepted: () => void; settle: (outcome: Outcome) => void };

export type InputRelayOptions = Readonly<{
  mailbox: InstanceMailbox;
  /** Resumes a flow held here with a retry another instance received; its next step, or throws. */
  resumeHere: (retry: FlowRetry, closed: AbortSignal) => Promise<Json>;
  /** The error a client of this instance would get for `error` (in answer to `request`). */
  wireError: (error: unknown, request: FlowRetry['request']) => WireAnswer;
  /** How long a step may take (the request timeout): the wait for the holder's answer. */
  stepTimeoutMs: () => number;
  acceptTimeoutMs?: number;
  onError: (error: unknown) => void;
}>;

const isJson = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A relayed retry with every field the holder reads: anything else (another version's message, say) is dropped. */
const isFlowRetry = (value: unknown): value is FlowRetry =>
  isJson(value)
  && typeof value.flowId === 'string'
  && typeof value.round === 'number'
  && isJson(value.owner)
  && typeof value.owner.profileId === 'string'
  && isJson(value.request)
  && typeof value.request.method === 'string'
  && isJson(value.request.params);

/** Cancels that came before their retry (the mailbox does not keep order), remembered this long. */
const EARLY_CANCEL_MS = 60_000;

export class InputRelay {
  private readonly waiting = new Map<string, Waiter>();
  /** Retries served here for other instances, by relay id: a cancel from their client aborts the step. */
  private readonly serving = new Map<string, AbortController>();
  /** Relays cancelled before their retry arrived here, with when: such a retry is not resumed. */
  private readonly cancelledEarly = new Map<string, number>();

  constructor(private readonly options: InputRelayOptions) {
    options.mailbox.onMessage((message) => this.receive(message));
  }

  get instanceId(): string {
    return this.options.mailbox.instanceId;
  }

  /**
   * Hands `retry` to instance `holder` and resolves with its next step; throws
   * HolderUnavailableError when the holder does not take it in time (it is gone: the flow went
   * with it) or does not answer it in time, RelayedError with the holder's error. The client
   * closing its connection (`closed`) cancels it there too.
   */
  forward(holder: string, retry: FlowRetry, closed: AbortSignal): Promise<Json> {
    const relay = randomUUID();
    const { mailbox } = this.options;
    const stepTimeoutMs = this.options.stepTimeoutMs();
    return new Promise<Json>((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const finish = (): void => {
        clearTimeout(timer);
        this.waiting.delete(relay);
        closed.removeEventListener('abort', onClose);
      };
      const fail = (error: Error): void => {
        finish();
        reject(error);
      };
      const onClose = (): void => {
        fail(closed.reason instanceof Error ? closed.reason : new Error('the client closed the connection'));
        mailbox.send(holder, { kind: 'cancel', relay }, stepTimeoutMs).catch(this.options.onError);
      };
      // Past the accept window the holder may still take the retry late (a slow instance): it is
      // told to drop it, so the flow is not resumed for a client that has already been answered.
      timer = setTimeout(() => {
        fail(new HolderUnavailableError('HOLDER_GONE', 'requestState is no longer pending (the Gatehouse instance that holds its request does not answer: it stopped, and the request went with it)'));
        mailbox.send(holder, { kind: 'cancel', relay }, stepTimeoutMs).catch(this.options.onError);
      }, this.options.acceptTimeoutMs ?? ACCEPT_TIMEOUT_MS).unref();
      this.waiting.set(relay, {
        accepted: () => {
          clearTimeout(timer);
          const waitMs = stepTimeoutMs + (this.options.acceptTimeoutMs ?? ACCEPT_TIMEOUT_MS);
          timer = setTimeout(() => fail(new HolderUnavailableError('HOLDER_TIMEOUT', `The Gatehouse instance that holds the request did not answer it within ${waitMs} ms`)), waitMs).unref();
        },
        settle: (outcome) => {
          finish();
          if ('result' in outcome) resolve(outcome.result);
          else reject(new RelayedError(outcome.error));
        },
      });
      if (closed.aborted) {
        onClose();
        return;
      }
      closed.addEventListener('abort', onClose, { once: true });
      mailbox.send(holder, { kind: 'retry', relay, from: this.instanceId, retry }, stepTimeoutMs).catch((error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));
    });
  }

  private receive(message: InstanceMessage): void {
    const relay = message.relay;
    if (typeof relay !== 'string') return;
    switch (message.kind) {
      case 'retry':
        if (typeof message.from !== 'string' || !isFlowRetry(message.retry)) return;
        if (this.cancelledEarly.delete(relay)) return;
        this.serve(relay, message.from, message.retry).catch(this.options.onError);
        return;
      case 'cancel': {
        const serving = this.serving.get(relay);
        if (serving !== undefined) serving.abort(new Error('the client closed the connection'));
        else this.rememberCancel(relay);
        return;
      }
      case 'accepted':
        this.waiting.get(relay)?.accepted();
        return;
      case 'outcome':
        if (isJson(message.outcome)) this.waiting.get(relay)?.settle(message.outcome as Outcome);
        return;
      default:
        // A kind this build does not know (sent by a newer instance during an upgrade): its
        // sender times out waiting, as for an instance that stopped, and answers its client so.
        this.options.onError(new Error(`an instance message of unknown kind ${JSON.stringify(message.kind)} was ignored`));
    }
  }

  private rememberCancel(relay: string): void {
    const now = Date.now();
    for (const [id, at] of this.cancelledEarly) {
      if (now - at < EARLY_CANCEL_MS) break;
      this.cancelledEarly.delete(id);
    }
    this.cancelledEarly.set(relay, now);
  }

  /** A retry another instance received for a flow held here: taken, resumed, and its step sent back. */
  private async serve(relay: string, from: string, retry: FlowRetry): Promise<void> {
    const { mailbox, onError } = this.options;
    const stepTimeoutMs = this.options.stepTimeoutMs();
    const closed = new AbortController();
    this.serving.set(relay, closed);
    // Not awaited before resuming (the resume need not wait for it), but before the outcome is sent: two sends in
    // flight at once may commit in either order, and the sender should hear "accepted" first.
    const acceptedSent = mailbox.send(from, { kind: 'accepted', relay }, stepTimeoutMs).catch(onError);
    let outcome: Outcome;
    try {
      outcome = { result: await this.options.resumeHere(retry, closed.signal) };
    } catch (error) {
      const { code, message, data, status } = this.options.wireError(error, retry.request);
      outcome = { error: { code, message, data, status } };
    } finally {
      this.serving.delete(relay);
    }
    await acceptedSent;
    await mailbox.send(from, { kind: 'outcome', relay, outcome }, stepTimeoutMs).catch(onError);
  }
}
