export * from './commands';
export * from './decider';
export * from './events';
export { MAX_PAT_NAME_LENGTH } from './validate';
