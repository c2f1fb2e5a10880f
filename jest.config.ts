import type { Config } from 'jest';

const tsJest: Config['transform'] = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
};

const project = (displayName: string, suffix: string, extra: Partial<Config> = {}): Config => ({
  displayName,
  testEnvironment: 'node',
  transform: tsJest,
  testMatch: [`<rootDir>/src/**/*.${suffix}.test.ts`, `<rootDir>/test/**/*.${suffix}.test.ts`],
  setupFiles: ['reflect-metadata'],
  ...extra,
});

const config: Config = {
  projects: [
    project('unit', 'unit'),
    project('integration', 'int'),
    project('e2e', 'e2e'),
  ],
  testTimeout: 30_000,
};

export default config;
