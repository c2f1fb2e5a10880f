import type { QueryClient } from '@tanstack/react-query';
import { bearer } from './api';
import { followStream } from './stream';

/**
 * Follows /api/events/stream and refreshes what the screens show when anything is committed,
 * whoever made the change (reconnecting after a drop: see followStream).
 */
export const followEvents = (client: QueryClient): (() => void) => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void client.invalidateQueries(), 150);
  };
  const stop = followStream('/api/events/stream', {
    headers: bearer,
    onEvent: refresh,
  });
  return () => {
    stop();
    clearTimeout(timer);
  };
};
