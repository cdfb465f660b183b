// Jest runs the TypeScript sources through ts-jest's ESM preset. Type checking happens in
// `npm run build` (pretest), so ts-jest only transpiles here (isolatedModules in tsconfig.test.json)
// to keep the suite fast.
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Real npm tools installed by tests live under test/.cache: never tests, never modules to map.
  // test/packaging installs .debs on the machine: its own config (jest.packaging.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/.cache/', '<rootDir>/test/packaging/'],
  modulePathIgnorePatterns: ['<rootDir>/test/.cache/'],
  watchPathIgnorePatterns: ['<rootDir>/test/.cache/'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }],
  },
  testTimeout: 60000,
  maxWorkers: 2,
};
