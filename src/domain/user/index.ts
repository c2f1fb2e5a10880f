export * from './commands';
export * from './decider';
export * from './events';
export { USER_NAME, assertPasswordHash, assertRole } from './validate';
