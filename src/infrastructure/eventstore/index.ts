export * from './projection';
export * from './sql';
export * from './sqlite-event-store';
export * from './types';
export * from './upcasting';
