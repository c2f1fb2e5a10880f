export * from './decider';
export * from './equal';
export * from './errors';
export * from './names';
export * from './objects';
export * from './secret';
export * from './text';
export * from './entropy';
