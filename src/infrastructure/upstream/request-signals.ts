type Fetch = typeof fetch;

/**
 * Calls `listener` once `signal` aborts, at once if it already has; returns what removes the
 * listener (call it when the wait is over, so a long-lived signal does not collect listeners).
 */
export const onAbort = (signal: AbortSignal | undefined, listener: () => void): (() => void) => {
  if (signal === undefined) return () => undefined;
  if (signal.aborted) {
    listener();
    return () => undefined;
  }
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
};
type Live = Set<AbortController>;

/**
 * A fetch that gives every request its own AbortSignal, tied to the one the caller passed.
 *
 * The SDK's HTTP transports hand one long-lived signal to every fetch of a session, and
 * undici adds an abort listener per request to the signal it is given, removes it only once
 * the request is garbage collected, and lists all of them on every new request. On a shared
 * upstream connection under load that is thousands of listeners walked per call (about 8% of
 * the gateway's CPU at 32 concurrent calls) and Node's "possible EventTarget memory leak"
 * warnings. Here the caller's signal gets one listener per session, which aborts the requests
 * still running; a request leaves that set when it fails, when it has no body, or once its
 * body stream has been collected (a body being read is still referenced, so it is never
 * dropped early and closing the transport still ends it).
 */
export const perRequestSignals = (base: Fetch = fetch): Fetch => {
  const running = new WeakMap<AbortSignal, Live>();
  const finished = new FinalizationRegistry<{ live: Live; controller: AbortController }>(({ live, controller }) => live.delete(controller));

  const liveFor = (signal: AbortSignal): Live => {
    let live = running.get(signal);
    if (!live) {
      const requests: Live = new Set();
      live = requests;
      running.set(signal, requests);
      signal.addEventListener(
        'abort',
        () => {
          for (const controller of requests) controller.abort(signal.reason);
          requests.clear();
        },
        { once: true },
      );
    }
    return live;
  };

  return (async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => {
    const signal = init?.signal;
    if (!signal || signal.aborted) return base(input, init);
    const live = liveFor(signal);
    const controller = new AbortController();
    live.add(controller);
    try {
      const response = await base(input, { ...init, signal: controller.signal });
      if (response.body === null) live.delete(controller);
      else finished.register(response.body, { live, controller });
      return response;
    } catch (error) {
      live.delete(controller);
      throw error;
    }
  }) as Fetch;
};
