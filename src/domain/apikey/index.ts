export * from './commands';
export * from './decider';
export * from './events';
export { ALL_PROFILES, MAX_APIKEY_NAME_LENGTH, parseInstant } from './validate';
