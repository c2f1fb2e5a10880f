export * from './pat.entity';
export * from './pat.projection';
export * from './pat.queries';
