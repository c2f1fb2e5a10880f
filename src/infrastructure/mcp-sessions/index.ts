export * from './session-ids';
export * from './session-store';
