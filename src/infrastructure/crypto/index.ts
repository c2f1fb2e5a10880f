export * from './data-key';
export * from './keyring';
export * from './master-key';
export * from './secret-box';
export * from './env-values';
export * from './password';
