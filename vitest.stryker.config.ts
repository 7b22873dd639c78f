// The tests Stryker runs against each mutant (`pnpm mutate`): the fast, in-process ones beside the code.
// Real-process, socket, disk, TLS, crash and multi-member tests are left out: they are slow on a 2-core
// machine, their timing would turn mutants into flaky timeouts, and the rules the mutated files hold have
// in-process tests. The normal `vitest run` (vitest.config.ts) still runs everything.
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import base from './vitest.config.ts';

/**
 * Fastest test files first (vitest's default is slowest first, for parallel runs). Stryker stops a mutant's
 * run at the first failing test, so a mutant an example test kills never waits for the randomized model
 * tests that also cover it.
 */
class FastestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...(await super.sort(files))].reverse();
  }
}

/** Set by scripts/mutate.ts for targets whose mutants only their own package's tests should judge. */
const testsIn = process.env.HALYARD_MUTATE_TESTS_IN;

export default defineConfig({
  resolve: base.resolve,
  test: {
    include: [testsIn !== undefined ? `${testsIn}/**/*.test.ts` : 'packages/*/src/**/*.test.ts'],
    exclude: [
      '**/node_modules/**',
      '**/dist/**',
      '**/*real*',
      '**/*tls*',
      '**/crash*',
      '**/*cluster*',
      // Multi-member or socket tests (real transports, servers on ports).
      'packages/kv/src/server/member.test.ts',
      'packages/kv/src/transport/peer-transport.test.ts',
      // On-disk storage (LevelDB files): not a mutation target, and slow.
      'packages/kv/src/storage/disk-storage*.test.ts',
      // The CLI spawns processes; the simulator runs hundreds of seeds under its own CI budget.
      'packages/cli/src/cli/**',
      'packages/cli/src/sim/**',
    ],
    testTimeout: 30_000,
    sequence: { sequencer: FastestFirst },
    pool: 'forks',
    // One worker, reused across runs: Stryker switches mutants at run time, so module state need not be rebuilt
    // per test file (the per-run fork would cost more than most mutants' tests).
    isolate: false,
  },
});
