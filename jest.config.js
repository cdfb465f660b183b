// Jest runs the TypeScript sources through ts-jest's ESM preset. Type checking happens in
// `npm run build` (pretest), so ts-jest only transpiles here (isolatedModules in tsconfig.test.json)
// to keep the suite fast.
// EDICT_TEST_STORE=postgres runs the servers the tests start on PostgreSQL (a throw-away cluster,
// test/pg-global-setup.js) and adds the PostgreSQL-only tests in test/postgres (several nodes,
// moving a deployment, database faults, the two stores answering alike); without it everything
// runs on SQLite.
const onPostgres = process.env.EDICT_TEST_STORE === 'postgres';

/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Real npm tools installed by tests live under test/.cache: never tests, never modules to map.
  // test/packaging installs .debs on the machine: its own config (jest.packaging.config.js).
  // On PostgreSQL the tests of the SQLite file itself (its store internals, backup/restore of the
  // file) have nothing to test; `npm start` is the embedded set-up by definition.
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/.cache/',
    '<rootDir>/test/packaging/',
    ...(onPostgres
      ? ['<rootDir>/test/unit/server/store.test.ts', '<rootDir>/test/integration/server-backup.test.ts', '<rootDir>/test/integration/npm-start.test.ts']
      : ['<rootDir>/test/postgres/']),
  ],
  globalSetup: '<rootDir>/test/pg-global-setup.js',
  globalTeardown: '<rootDir>/test/pg-global-teardown.js',
  modulePathIgnorePatterns: ['<rootDir>/test/.cache/'],
  watchPathIgnorePatterns: ['<rootDir>/test/.cache/'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }],
  },
  testTimeout: 60000,
  maxWorkers: 2,
};
