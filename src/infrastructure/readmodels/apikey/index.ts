export * from './apikey.entity';
export * from './apikey.projection';
export * from './apikey.queries';
