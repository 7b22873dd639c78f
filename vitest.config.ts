import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packages = fileURLToPath(new URL('./packages/', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources: `@halyard/<pkg>[/<folder>]` resolves to that package's source entry
    // (the same mapping as `paths` in tsconfig.json). Published packages resolve through `exports` to dist/.
    alias: [
      { find: /^@halyard\/kv-client$/, replacement: `${packages}kv-client/src/client/index.ts` },
      { find: /^@halyard\/([a-z-]+)\/([a-z-]+)$/, replacement: `${packages}$1/src/$2/index.ts` },
      { find: /^@halyard\/([a-z-]+)$/, replacement: `${packages}$1/src/index.ts` },
    ],
  },
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
