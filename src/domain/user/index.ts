export * from './commands';
export * from './decider';
export * from './events';
export { USER_NAME, assertRole } from './validate';
