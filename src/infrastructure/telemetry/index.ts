export * from './logger';
export * from './metrics';
export * from './redaction';
export * from './secret-values';
export * from './traffic-tap';
export * from './traffic-types';
