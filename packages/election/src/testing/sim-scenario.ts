// Random fault scenarios for the elector's property tests, and the runner that plays one in a SimWorld
// and checks the safety properties after every event.
import fc from 'fast-check';
import { SeededRng } from '@halyard/kv/util';
import { SimElection } from './sim-election.ts';
import { SimStore } from './sim-kv.ts';
import { SimWorld } from './sim-world.ts';

export type Fault =
  /** The process of candidate `who` (or of the leader at that moment) stops for `durationMs` (GC, VM stall, SIGSTOP). */
  | { readonly kind: 'pause'; readonly atMs: number; readonly who: number | 'leader'; readonly durationMs: number }
  /** The process dies; a new process of the same identity starts `restartAfterMs` later. */
  | { readonly kind: 'crash'; readonly atMs: number; readonly who: number | 'leader'; readonly restartAfterMs: number }
  /** The store answers nobody. */
  | { readonly kind: 'outage'; readonly atMs: number; readonly durationMs: number }
  /** One process cannot reach the store (the others can). */
  | { readonly kind: 'partition'; readonly atMs: number; readonly who: number | 'leader'; readonly durationMs: number };

export interface Scenario {
  readonly seed: number;
  readonly candidates: number;
  /** Clock rate of each candidate (local ms per real ms). */
  readonly rates: readonly number[];
  readonly delayMsMax: number;
  readonly longDelayProbability: number;
  readonly longDelayMsMax: number;
  readonly lossProbability: number;
  readonly faults: readonly Fault[];
}

export const SIM_DURATION_MS = 150_000;
export const CANDIDATES_MAX = 4;

/**
 * Scenarios with clock rates in [rateMin, rateMax]. Faults are spread over the run; a third of them aim
 * at whoever leads at that moment, where they hurt most.
 */
export function scenarioArb(rateMin: number, rateMax: number): fc.Arbitrary<Scenario> {
  const at = fc.integer({ min: 0, max: SIM_DURATION_MS - 20_000 });
  const who = fc.oneof(fc.constant<'leader'>('leader'), fc.integer({ min: 0, max: CANDIDATES_MAX - 1 }));
  const fault: fc.Arbitrary<Fault> = fc.oneof(
    fc.record({ kind: fc.constant<'pause'>('pause'), atMs: at, who, durationMs: fc.integer({ min: 100, max: 40_000 }) }),
    fc.record({ kind: fc.constant<'crash'>('crash'), atMs: at, who, restartAfterMs: fc.integer({ min: 0, max: 30_000 }) }),
    fc.record({ kind: fc.constant<'outage'>('outage'), atMs: at, durationMs: fc.integer({ min: 100, max: 30_000 }) }),
    fc.record({ kind: fc.constant<'partition'>('partition'), atMs: at, who, durationMs: fc.integer({ min: 100, max: 40_000 }) }),
  );
  return fc.record({
    seed: fc.integer(),
    candidates: fc.integer({ min: 2, max: CANDIDATES_MAX }),
    rates: fc.array(fc.double({ min: rateMin, max: rateMax, noNaN: true }), { minLength: CANDIDATES_MAX, maxLength: CANDIDATES_MAX }),
    delayMsMax: fc.integer({ min: 1, max: 1_500 }),
    longDelayProbability: fc.double({ min: 0, max: 0.15, noNaN: true }),
    longDelayMsMax: fc.integer({ min: 1_000, max: 30_000 }),
    lossProbability: fc.double({ min: 0, max: 0.05, noNaN: true }),
    faults: fc.array(fault, { maxLength: 8 }),
  });
}

/**
 * Scenarios aimed at the leader's stalls: two or three candidates, slow and lossy networks, and repeated
 * pauses of whoever leads, long enough for a takeover — so that a leader resumes into a lapsed term with
 * answers and timers queued up. (These found a hole in an earlier version of the invariant's check.)
 */
export function stallScenarioArb(rateMin: number, rateMax: number): fc.Arbitrary<Scenario> {
  return fc.record({
    seed: fc.integer(),
    candidates: fc.integer({ min: 2, max: 3 }),
    rates: fc.array(fc.double({ min: rateMin, max: rateMax, noNaN: true }), { minLength: CANDIDATES_MAX, maxLength: CANDIDATES_MAX }),
    delayMsMax: fc.integer({ min: 200, max: 1_500 }),
    longDelayProbability: fc.double({ min: 0.05, max: 0.2, noNaN: true }),
    longDelayMsMax: fc.integer({ min: 5_000, max: 30_000 }),
    lossProbability: fc.double({ min: 0, max: 0.05, noNaN: true }),
    faults: fc.array(
      fc.record({ kind: fc.constant<'pause'>('pause'), atMs: fc.integer({ min: 0, max: SIM_DURATION_MS - 20_000 }), who: fc.constant<'leader'>('leader'), durationMs: fc.integer({ min: 10_000, max: 40_000 }) }),
      { minLength: 2, maxLength: 6 },
    ),
  });
}

export interface Violation {
  readonly kind: 'twoLeaders' | 'tokenOrder' | 'deposedWrite';
  readonly message: string;
}

export interface RunResult {
  readonly sim: SimElection;
  readonly store: SimStore;
  /** The first safety violation found, if any. */
  readonly violation?: Violation;
}

export interface RunOptions {
  /** Leaders write through the fence (default) or without it. */
  readonly unfencedWork?: boolean;
}

/** Plays `s` and checks the properties after every event (see the property test for their statement). */
export async function runScenario(s: Scenario, o: RunOptions = {}): Promise<RunResult> {
  const rng = new SeededRng(s.seed);
  const random = (): number => rng.float();
  const world = new SimWorld();
  const store = new SimStore(world, { random, delayMsMax: s.delayMsMax, longDelayProbability: s.longDelayProbability, longDelayMsMax: s.longDelayMsMax, lossProbability: s.lossProbability });
  const sim = new SimElection(world, store, { random, workPeriodMs: 700, reCampaign: true, releaseOnCancel: true, unfencedWork: o.unfencedWork ?? false });
  const ids = Array.from({ length: s.candidates }, (_, i) => `c${i}`);
  ids.forEach((id, i) => sim.start(id, s.rates[i] ?? 1));

  const target = (who: number | 'leader'): string | undefined => (who === 'leader' ? sim.liveLeaders()[0]?.identity : ids[who % ids.length]);
  for (const f of s.faults) {
    world.schedule(f.atMs, () => {
      switch (f.kind) {
        case 'pause': {
          const id = target(f.who);
          if (id === undefined) return;
          const proc = sim.candidate(id).proc;
          proc.pause();
          world.schedule(f.atMs + f.durationMs, () => proc.resume());
          return;
        }
        case 'crash': {
          const id = target(f.who);
          if (id === undefined || sim.candidate(id).proc.crashed) return;
          sim.crash(id);
          world.schedule(f.atMs + f.restartAfterMs, () => sim.start(id, s.rates[ids.indexOf(id)] ?? 1));
          return;
        }
        case 'outage':
          store.addOutage(f.atMs, f.atMs + f.durationMs);
          return;
        case 'partition': {
          const id = target(f.who);
          if (id !== undefined) store.addPartition(sim.candidate(id).proc.name, f.atMs, f.atMs + f.durationMs);
          return;
        }
        default: {
          const never: never = f;
          throw new Error(`unknown fault ${JSON.stringify(never)}`);
        }
      }
    });
  }

  let violation: Violation | undefined;
  let checkedWrites = 0;
  let checkedStarts = 0;
  await world.runUntil(SIM_DURATION_MS, () => {
    if (violation !== undefined) return;
    violation = checkOneLeader(sim) ?? checkTokens(sim, checkedStarts) ?? checkFencedWrites(sim, checkedWrites);
    checkedStarts = sim.startedTerms().length;
    checkedWrites = sim.applied.length;
  });
  // Stop the survivors so nothing lingers (their timers belong to the world, which is dropped).
  for (const c of sim.all) c.cancel.abort();
  return violation === undefined ? { sim, store } : { sim, store, violation };
}

/** Property 1: at most one candidate that can act (live process) has an un-aborted leading signal. */
function checkOneLeader(sim: SimElection): Violation | undefined {
  const leaders = sim.liveLeaders();
  if (leaders.length <= 1) return undefined;
  const describe = (c: (typeof leaders)[number]): string => `${c.identity} (token ${c.leading?.token}${c.lease !== undefined && c.proc.nowMs() >= c.lease.validUntilMs ? ', past its deadline by its own clock' : ''})`;
  return { kind: 'twoLeaders', message: `at ${sim.world.nowMs.toFixed(1)} ms ${leaders.map(describe).join(' and ')} both lead` };
}

/** Property 2: fencing tokens strictly increase from one term to the next, in the order the terms start. */
function checkTokens(sim: SimElection, from: number): Violation | undefined {
  const terms = sim.startedTerms();
  for (let i = Math.max(1, from); i < terms.length; i++) {
    if (terms[i]!.token <= terms[i - 1]!.token) return { kind: 'tokenOrder', message: `term of ${terms[i]!.identity} (token ${terms[i]!.token}) started after one with token ${terms[i - 1]!.token}` };
  }
  return undefined;
}

/**
 * Property 3: no write of a deposed leader is applied: when a work write lands in the store, no term with
 * a larger token has started anywhere before it.
 */
function checkFencedWrites(sim: SimElection, from: number): Violation | undefined {
  const terms = sim.startedTerms();
  for (const w of sim.applied.slice(from)) {
    const newer = terms.find((t) => t.atMs <= w.atMs && t.token > w.token);
    if (newer !== undefined) return { kind: 'deposedWrite', message: `write of ${w.identity} with token ${w.token} applied at ${w.atMs.toFixed(1)} ms, after ${newer.identity} started leading with token ${newer.token} at ${newer.atMs.toFixed(1)} ms` };
  }
  return undefined;
}
