import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 300_000, // suites run real processes; a loaded 2-core CI machine is slow
    hookTimeout: 120_000,
    // the suites drive real processes and sockets: keep files parallel, tests in a file sequential
    fileParallelism: true,
    pool: 'forks',
  },
});
