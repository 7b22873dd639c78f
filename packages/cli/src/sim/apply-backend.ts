// A member's simulated state-machine backend: the member's ApplyBackend seam (server/seams.ts). Normally an
// applied batch settles at once, as with the in-memory MVCC store; while the applylag fault holds, each
// batch settles after a seeded delay (a large batch, a slow disk, a disk-backed store's batch write), and
// the member keeps ticking and stepping messages meanwhile — the core is advanced only once it settles.
// The delay runs on the member's own clock, so a crash drops it with the process and a pause holds it.

import type { ApplyBackend, Completion, MemberClock } from '@halyard/kv/server';
import type { Rng } from '@halyard/kv/util';

export class SimApplyBackend {
  private readonly rng: Rng;
  /** The applylag fault: until untilMs, each batch settles after 1..msMax milliseconds. */
  private lag: { untilMs: number; msMax: number } | undefined;
  /** Batches that settled late (statistics). */
  lateBatches = 0;

  constructor(rng: Rng) {
    this.rng = rng;
  }

  /** From now until `untilMs` (simulator time), each batch takes up to `msMax`; `msMax` 0 ends it. */
  lagUntil(msMax: number, untilMs: number): void {
    this.lag = msMax > 0 ? { untilMs, msMax } : undefined;
  }

  /** The seam for one incarnation of the member, on that incarnation's clock. */
  seam(clock: MemberClock, nowMs: () => number, trace: (line: string) => void): ApplyBackend {
    return {
      settle: (lastIndex: number, done: Completion) => {
        const lag = this.lag;
        if (lag === undefined || nowMs() >= lag.untilMs) {
          done();
          return;
        }
        const delayMs = 1 + this.rng.int(lag.msMax);
        this.lateBatches++;
        trace(`apply through ${lastIndex} settles in ${delayMs}ms`);
        clock.after(delayMs, () => done());
      },
    };
  }
}
