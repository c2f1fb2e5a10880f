export * from './user-credentials.entity';
export * from './user-credentials.projection';
export * from './user-credentials.queries';
