export * from './setting.entity';
export * from './settings.projection';
export * from './settings.queries';
