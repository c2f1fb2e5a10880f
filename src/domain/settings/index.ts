export * from './commands';
export * from './decider';
export * from './events';
export { MAX_ALLOWED_HOSTS, SETTING_RANGES, assertValidSettings } from './validate';
