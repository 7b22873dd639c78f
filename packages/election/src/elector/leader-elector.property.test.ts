// Safety of the election under faults, checked after every event of a simulated world in which the
// production LeaderElector and KvLeaseLock run over the real MVCC store: random network delays (some very
// long), lost messages, process pauses (GC/VM stalls), crashes and restarts, store outages, partitions of
// single processes, and clock RATE skew between processes.
//
// The documented bound (docs/election.md, "Clock assumptions"): with leaseDuration L and renewDeadline D,
// the fastest clock may run at most L/D times as fast as the slowest (1.5 with the defaults 15 s / 10 s).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runScenario, scenarioArb, stallScenarioArb, type Scenario } from '../testing/sim-scenario.ts';


/** Rates within the bound: fastest/slowest = 1.2/0.82 ≈ 1.46 < 15/10. */
const RATE_MIN_OK = 0.82;
const RATE_MAX_OK = 1.2;
/** Fixed seed and run count, so a run is reproducible; explore more with HALYARD_ELECTION_SEED / _RUNS. */
const SEED = Number(process.env['HALYARD_ELECTION_SEED'] ?? 0x656c6563);
const RUNS = Number(process.env['HALYARD_ELECTION_RUNS'] ?? 100);
/** Runs allowed to find a counterexample in the tests that show a property can fail. */
const RUNS_TO_FAIL = 200;

describe('LeaderElector under faults (simulated, fake clocks)', () => {
  // Invariants, checked after every event:
  // 1. At no instant do two candidates that can act hold an un-aborted leading signal. A candidate can act
  //    when its process is neither paused nor crashed and has caught up with its backlog — at the instant
  //    it resumes, it works through the events that came due while it was paused, the lapsed term's
  //    deadline timer among them, and everything that could act checks the clock first.
  // 2. Fencing tokens strictly increase from each term to the next, in the order terms start.
  // 3. With fencing, no write of a deposed leader is applied: when a leader's write lands, no term with a
  //    larger token has started before it.
  it.each<[string, fc.Arbitrary<Scenario>, number]>([
    ['random faults', scenarioArb(RATE_MIN_OK, RATE_MAX_OK), RUNS],
    ['repeated stalls of the leader', stallScenarioArb(RATE_MIN_OK, RATE_MAX_OK), RUNS / 2],
  ])('within the clock-rate bound, %s: never two leaders, tokens increase, deposed writes are refused', async (_what, arb, runs) => {
    let refusedByStore = 0;
    let terms = 0;
    await fc.assert(
      fc.asyncProperty(arb, async (s) => {
        const r = await runScenario(s);
        refusedByStore += r.store.failedCompares.get(r.sim.all[0]!.lock.keys.fence) ?? 0;
        terms += r.sim.startedTerms().length;
        if (r.violation !== undefined) throw new Error(`${r.violation.kind}: ${r.violation.message}`);
      }),
      { seed: SEED, numRuns: runs },
    );
    // The runs exercised what the properties are about: leadership changed hands many times, and the
    // store refused writes of deposed leaders (delayed in the network, or sent around a stall).
    expect(terms).toBeGreaterThan(2 * runs);
    expect(refusedByStore).toBeGreaterThan(0);
  });

  it('without the fence, a write of a deposed leader lands (so property 3 can fail)', async () => {
    const out = await fc.check(
      fc.asyncProperty(scenarioArb(RATE_MIN_OK, RATE_MAX_OK), async (s) => (await runScenario(s, { unfencedWork: true })).violation?.kind !== 'deposedWrite'),
      { seed: SEED, numRuns: RUNS_TO_FAIL, endOnFailure: true },
    );
    expect(out.failed).toBe(true);
  });

  it('beyond the clock-rate bound, two leaders overlap (so property 1 can fail)', async () => {
    // Rates from 0.5 to 1.0: a leader whose clock runs at half speed keeps leading for 20 s of real time
    // while a candidate at full speed takes over after 15.
    const out = await fc.check(
      fc.asyncProperty(scenarioArb(0.5, 1.0), async (s) => (await runScenario(s)).violation?.kind !== 'twoLeaders'),
      { seed: SEED, numRuns: RUNS_TO_FAIL, endOnFailure: true },
    );
    expect(out.failed).toBe(true);
  });
});
