export * from './oauth.entities';
export * from './oauth.projection';
export * from './oauth.queries';
