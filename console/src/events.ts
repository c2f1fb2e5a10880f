import type { QueryClient } from '@tanstack/react-query';
import { token } from './api';

/**
 * Follows /api/events/stream (server-sent events; read with fetch because EventSource cannot send
 * the bearer token) and refreshes what the screens show when anything is committed, whoever made
 * the change. Reconnects with Last-Event-ID after a drop, with a bounded backoff.
 */
export const followEvents = (client: QueryClient, onEvent?: (type: string) => void): (() => void) => {
  const abort = new AbortController();
  let lastId: string | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void client.invalidateQueries(), 150);
  };

  const run = async (): Promise<void> => {
    let delay = 500;
    while (!abort.signal.aborted) {
      try {
        const current = token.get();
        const response = await fetch('/api/events/stream', {
          headers: { ...(current ? { authorization: `Bearer ${current}` } : {}), ...(lastId === null ? {} : { 'last-event-id': lastId }), accept: 'text/event-stream' },
          signal: abort.signal,
        });
        if (!response.ok || !response.body) throw new Error(`events stream: ${response.status}`);
        delay = 500;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let type = 'message';
            for (const line of frame.split('\n')) {
              if (line.startsWith('id:')) lastId = line.slice(3).trim();
              else if (line.startsWith('event:')) type = line.slice(6).trim();
            }
            if (frame.split('\n').some((line) => line.startsWith('data:'))) {
              onEvent?.(type);
              refresh();
            }
          }
        }
      } catch {
        if (abort.signal.aborted) return;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  void run();
  return () => {
    abort.abort();
    clearTimeout(timer);
  };
};
