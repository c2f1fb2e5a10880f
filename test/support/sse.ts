export type SseMessage = { id?: string; event?: string; data: string };

export type SseClient = {
  /** Resolves with the first message (after those already consumed) that matches, or rejects after `timeoutMs`. */
  next: (matches?: (message: SseMessage) => boolean, timeoutMs?: number) => Promise<SseMessage>;
  close: () => void;
};

const parseFrame = (frame: string): SseMessage | null => {
  const message: SseMessage = { data: '' };
  let hasData = false;
  for (const line of frame.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') message.id = value;
    else if (field === 'event') message.event = value;
    else if (field === 'data') {
      message.data = hasData ? `${message.data}\n${value}` : value;
      hasData = true;
    }
  }
  return hasData ? message : null;
};

/**
 * A server-sent-events client over fetch. Resolves once the response headers and the first
 * chunk (the server's `: connected` comment) have arrived, so events committed afterwards are
 * guaranteed to be delivered live.
 */
export const openSse = async (url: string, headers: Record<string, string> = {}, timeoutMs = 5_000): Promise<SseClient> => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  clearTimeout(timer);
  if (response.status !== 200 || response.body === null) {
    controller.abort();
    throw new Error(`SSE request failed with ${response.status}: ${await response.text().catch(() => '')}`);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const queue: SseMessage[] = [];

  const readChunk = async (deadline: number): Promise<void> => {
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => reject(new Error('timed out waiting for a server-sent event')), Math.max(0, deadline - Date.now()));
    });
    try {
      const { value, done } = await Promise.race([reader.read(), expired]);
      if (done) throw new Error('the event stream ended');
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = parseFrame(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (message !== null) queue.push(message);
      }
    } finally {
      clearTimeout(timeout);
    }
  };

  await readChunk(Date.now() + timeoutMs);
  return {
    next: async (matches = () => true, wait = 5_000) => {
      const deadline = Date.now() + wait;
      for (;;) {
        const index = queue.findIndex(matches);
        if (index >= 0) return queue.splice(0, index + 1)[index];
        queue.length = 0;
        await readChunk(deadline);
      }
    },
    close: () => {
      reader.cancel().catch(() => undefined);
      controller.abort();
    },
  };
};
