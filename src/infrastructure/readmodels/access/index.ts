export * from './access.entity';
export * from './access.projection';
export * from './access.queries';
