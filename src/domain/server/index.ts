export * from './commands';
export * from './decider';
export * from './events';
export { diffServerSettings, settingsOf } from './settings';
export { MAX_SERVER_TIMEOUT_MS, assertValidServerSettings, secretValueProblem } from './validate';
export * from './env';
export { isCredentialName, isSecretByDefault, isSecretEnv, isSecretEnvName, isSecretHeader, isSecretHeaderValue, looksLikeCredential } from './env-secrecy';
export * from './pinning';
