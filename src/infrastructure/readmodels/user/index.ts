export * from './user.entity';
export * from './user.projection';
export * from './user.queries';
