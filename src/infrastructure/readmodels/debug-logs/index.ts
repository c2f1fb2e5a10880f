export * from './debug-log-filter';
export * from './debug-log-projection';
export * from './debug-log-queries';
export * from './debug-log-rows';
export * from './debug-log.entities';
export * from './retention';
export * from './traffic-journal';
