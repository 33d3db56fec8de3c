/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type errors are caught by `npm run typecheck`; transpiling only keeps the suite fast.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/helpers/global_setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global_teardown.ts',
  // Servers and sockets opened by a test must be closed by it; a leak should show, not hang CI: the
  // global teardown fails the run when something still holds jest 30 s after the last test.
  forceExit: false,
  detectOpenHandles: false,
};
