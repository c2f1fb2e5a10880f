export * from './instance-mailbox';
export * from './session-ids';
export * from './session-store';
