export * from './key-usage';
