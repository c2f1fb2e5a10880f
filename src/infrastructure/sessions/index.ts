export * from './user-session.entity';
export * from './user-sessions';
export * from './password-check';
