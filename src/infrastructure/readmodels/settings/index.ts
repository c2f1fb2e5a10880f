export * from './setting.entity';
export * from './settings.projection';
