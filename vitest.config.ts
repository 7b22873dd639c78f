import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // Real-process tests on a loaded 2-core machine wait on conditions, never on wall-clock guesses;
    // this is only the outer bound for a test that hangs.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // In CI a JSON report too, from which .ci/run prints a plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.vitest-report.json' },
  },
});
