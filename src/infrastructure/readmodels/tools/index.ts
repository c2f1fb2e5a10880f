export * from './tool.entity';
export * from './tool.projection';
export * from './tool.queries';
export * from './tool-history';
