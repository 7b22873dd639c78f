// StrykerJS settings shared by every `pnpm mutate` run. scripts/mutate.ts chooses what to mutate, the
// incremental file and the report names per target; see docs/testing.md for how to read the results.
import { fileURLToPath } from 'node:url';

// pnpm keeps each package's dependencies private, so Stryker cannot find its plugins by scanning its own
// node_modules; they are named here, resolved from the repository root where they are installed.
const plugin = (name) => fileURLToPath(import.meta.resolve(name));

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  plugins: [plugin('@stryker-mutator/vitest-runner'), plugin('@stryker-mutator/typescript-checker')],
  packageManager: 'pnpm',
  testRunner: 'vitest',
  // Only the fast in-process tests; `related` narrows each run to the test files importing the mutant's file.
  vitest: { configFile: 'vitest.stryker.config.ts', related: true },
  // Mutants that do not type-check are discarded before any test runs (CompileError, not in the score).
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.stryker.json',
  // Each mutant runs only the tests that executed its code in the dry run.
  coverageAnalysis: 'perTest',
  // Mutants in module-level initialisers (constants) would need every test re-run per mutant.
  ignoreStatic: true,
  incremental: true,
  // The machine has 2 cores shared with other work: one test-runner process (override with --concurrency).
  concurrency: 1,
  // A mutant whose tests take 1.5 × their dry-run time + 5 s counts as a timeout (detected): an endless loop.
  timeoutMS: 5_000,
  timeoutFactor: 1.5,
  thresholds: { high: 90, low: 80, break: null },
  reporters: ['clear-text', 'progress', 'html', 'json'],
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true, reportScoreTable: true },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  ignorePatterns: ['dist', 'reports', 'docs', '.halyard', 'fuzz-out', 'coverage', '*.log', '.vitest-report.json', 'stryker-setup-*.js'],
};
