export * from './server.entity';
export * from './server.projection';
export * from './server.queries';
export * from './server.view';
