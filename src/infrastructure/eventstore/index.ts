export * from './event.entities';
export { newEventId, newStreamId } from './event-ids';
export * from './projection';
export * from './types';
export * from './upcasting';
export * from './fold';
export * from './event-view';
export * from './log-follower';
