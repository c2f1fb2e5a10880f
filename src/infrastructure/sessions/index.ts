export * from './user-session.entity';
export * from './user-sessions';
export * from './password-check';
export * from './setup-link.entity';
export * from './setup-links';
