/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // chokidar 5, readdirp 5 and jose 6 ship ESM only; swc turns them (and our TS) into CommonJS for jest.
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(chokidar|readdirp|jose)/)'],
  testTimeout: 60000,
  maxWorkers: 2,
};
