/**
 * Multi-round-trip requests (MCP 2026-07-28 `input_required`) where the generations meet.
 *
 * A 2025 upstream asks for input in the middle of a call (`elicitation/create`,
 * `sampling/createMessage`, `roots/list` sent to the gateway). A 2026 client cannot be asked on a
 * session, so the gateway answers the client's request with an `InputRequiredResult` naming what
 * the upstream asked, keeps the upstream call waiting (an `InputFlow`, in this process), and when
 * the client retries with its `inputResponses`, hands them to the upstream and goes on waiting
 * for the call's result or its next question.
 *
 * Every `requestState` the gateway hands out is sealed (AES-256-GCM under a key derived from the
 * gateway's data key, as session ids are): a flow's id and round, or a 2026 upstream's own state,
 * bound to the profile and API key and with an expiry. A state that does not open, has expired,
 * belongs to another client or was already answered is refused with -32602; nothing reaches an
 * upstream.
 */
import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../../infrastructure/crypto';

type Json = Record<string, unknown>;

const PURPOSE = 'mcp request state';
/** Far above what `seal` makes for a gateway flow; an upstream's own state may be long, but not without bound. */
const MAX_STATE_LENGTH = 64 * 1024;

/** What the upstream asked, as a 2026 `inputRequests` entry (`{method, params}`). */
export type InputRequest = Readonly<{ method: string; params?: Json }>;

/** What a sealed `requestState` carries. */
export type OpenedState =
  /** `holder`: the instance whose flow it is (InstanceMailbox.instanceId), when there are several. */
  | Readonly<{ kind: 'flow'; flowId: string; round: number; holder?: string }>
  /** A 2026 upstream's own state (null: it sent none), passed back to it on the retry. */
  | Readonly<{ kind: 'upstream'; state: string | null }>;

/** The client the state was handed to: a retry from anyone else is refused. */
export type StateOwner = Readonly<{ profileId: string; keyId: string | null }>;

/** A refusal of a `requestState` (-32602 on the wire); `reason` says which check failed. */
export class RequestStateError extends Error {
  override readonly name = 'RequestStateError';
  constructor(readonly reason: string) {
    super(`Invalid params: requestState ${reason}`);
  }
}

export class RequestStates {
  constructor(private readonly secrets: SecretBox, private readonly now: () => number = Date.now) {}

  seal(opened: OpenedState, owner: StateOwner, ttlMs: number): string {
    const body = opened.kind === 'flow' ? { f: opened.flowId, r: opened.round, i: opened.holder } : { u: opened.state };
    return this.secrets.sealToken(JSON.stringify({ ...body, p: owner.profileId, k: owner.keyId, e: this.now() + ttlMs }), PURPOSE);
  }

  /** Opens a state a client sent back; throws RequestStateError for anything the gateway did not seal for this client, or that expired. */
  open(value: unknown, owner: StateOwner): OpenedState {
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_STATE_LENGTH) throw new RequestStateError('is not one this gateway issued');
    const plaintext = this.secrets.openToken(value, PURPOSE);
    if (plaintext === null) throw new RequestStateError('does not verify (altered, or not issued by this gateway)');
    let parsed: Json;
    try {
      parsed = JSON.parse(plaintext) as Json;
    } catch {
      throw new RequestStateError('does not verify');
    }
    if (parsed.p !== owner.profileId || parsed.k !== owner.keyId) throw new RequestStateError('was issued to another client');
    if (typeof parsed.e !== 'number' || parsed.e < this.now()) throw new RequestStateError('has expired');
    if (typeof parsed.f === 'string' && typeof parsed.r === 'number') return { kind: 'flow', flowId: parsed.f, round: parsed.r, ...(typeof parsed.i === 'string' ? { holder: parsed.i } : {}) };
    if (typeof parsed.u === 'string' || parsed.u === null) return { kind: 'upstream', state: parsed.u };
    throw new RequestStateError('does not verify');
  }
}

type Ask = { key: string; request: InputRequest; answer: (result: Json) => void; fail: (error: Error) => void };

/** What a flow's call did next: it finished, or its upstream is waiting for answers. */
export type FlowStep =
  | Readonly<{ kind: 'done'; result: Json }>
  | Readonly<{ kind: 'failed'; error: unknown }>
  | Readonly<{ kind: 'input'; inputRequests: Record<string, InputRequest>; round: number }>;

/**
 * One downstream request whose upstream call may stop to ask the client something. The call runs
 * once; each HTTP request of the client (the first, then each retry) waits with `next` for the
 * call to finish or to ask.
 */
export class InputFlow {
  /** Unguessable: a client's own request id must never name another client's flow (see StatelessPeer). */
  readonly id = `flow:${randomUUID()}`;
  private readonly controller = new AbortController();
  private readonly asks = new Map<string, Ask>();
  private asked = 0;
  private wake?: () => void;
  private settled?: FlowStep;
  /** The round the client must answer; a state of any other round is a replay. */
  round = 0;
  private expiry?: NodeJS.Timeout;

  constructor(
    readonly owner: StateOwner,
    /** What the client declared in its first request: the upstream's questions it cannot answer are refused. */
    readonly capabilities: Readonly<Record<string, unknown>>,
    private readonly onEnd: (flow: InputFlow) => void,
  ) {}

  /** Aborted when the flow expires or its client goes away: the upstream call is cancelled. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Runs the call; `next` reports on it. */
  start(call: Promise<Json>): void {
    call.then(
      (result) => this.settle({ kind: 'done', result }),
      (error: unknown) => this.settle({ kind: 'failed', error }),
    );
  }

  /** The upstream asks the client something: resolves with the client's answer, on a later retry. */
  ask(request: InputRequest, signal: AbortSignal): Promise<Json> {
    if (this.settled) return Promise.reject(new Error('the request this input was for has ended'));
    const key = `${request.method.split('/')[0]}-${++this.asked}`;
    return new Promise<Json>((resolve, reject) => {
      const done = (): void => {
        this.asks.delete(key);
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled by the upstream'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.asks.set(key, {
        key,
        request,
        answer: (result) => {
          done();
          resolve(result);
        },
        fail: (error) => {
          done();
          reject(error);
        },
      });
      this.wake?.();
    });
  }

  /** Waits until the call finishes or asks something no answer was given for. */
  async next(): Promise<FlowStep> {
    for (;;) {
      if (this.settled) return this.settled;
      if (this.asks.size > 0) {
        // Questions asked together go out together.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.settled) return this.settled;
        this.round++;
        return { kind: 'input', round: this.round, inputRequests: Object.fromEntries([...this.asks.values()].map((ask) => [ask.key, ask.request])) };
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /**
   * A retry of `round` with the client's answers: each question the answers cover is answered
   * (the others are asked again by the next `next`). Throws RequestStateError for a replay.
   */
  resume(round: number, inputResponses: unknown): void {
    if (round !== this.round || this.settled) throw new RequestStateError('was already answered');
    this.round++;
    const responses = inputResponses !== null && typeof inputResponses === 'object' && !Array.isArray(inputResponses) ? (inputResponses as Json) : {};
    for (const ask of [...this.asks.values()]) {
      const response = responses[ask.key];
      if (response !== null && typeof response === 'object' && !Array.isArray(response)) ask.answer(response as Json);
    }
  }

  /** Keeps the flow for its client's retry until `ttlMs` from now, then cancels the upstream call and forgets it. */
  holdFor(ttlMs: number): void {
    clearTimeout(this.expiry);
    this.expiry = setTimeout(() => {
      this.abort(new Error('the client did not answer in time'));
      this.onEnd(this);
    }, ttlMs);
    this.expiry.unref();
  }

  /** The client has the flow's outcome: nothing is kept any longer. */
  end(): void {
    clearTimeout(this.expiry);
    this.onEnd(this);
  }

  abort(reason: Error): void {
    if (this.settled) return;
    this.controller.abort(reason);
    for (const ask of [...this.asks.values()]) ask.fail(reason);
    this.settle({ kind: 'failed', error: reason });
  }

  private settle(step: FlowStep): void {
    if (this.settled) return;
    // Kept until its client collects the outcome (end) or the hold expires: a retry may come after.
    this.settled = step;
    // A question still out when the call has ended (it timed out upstream while its client kept
    // the question) is answered with an error: nothing would answer it any more.
    if (this.asks.size > 0) {
      const ended = new Error('the request this input was for has ended');
      for (const ask of [...this.asks.values()]) ask.fail(ended);
    }
    this.wake?.();
  }
}

/** The flows of this process, by id. */
export class InputFlows {
  private readonly flows = new Map<string, InputFlow>();

  begin(owner: StateOwner, capabilities: Readonly<Record<string, unknown>>): InputFlow {
    const flow = new InputFlow(owner, capabilities, (ended) => this.flows.delete(ended.id));
    this.flows.set(flow.id, flow);
    return flow;
  }

  get(id: string): InputFlow | undefined {
    return this.flows.get(id);
  }

  get size(): number {
    return this.flows.size;
  }
}
