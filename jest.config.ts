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
  // Generous: two workers share two cores with the gateways, upstreams and CLIs the tests start,
  // and a test that hangs still ends. Timing targets belong to the benchmarks, not here.
  testTimeout: 60_000,
};

export default config;
