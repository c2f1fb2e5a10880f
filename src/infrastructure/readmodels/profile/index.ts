export * from './effective-tools';
export * from './profile-at';
export * from './profile.entities';
export * from './profile.projection';
export * from './profile.queries';
