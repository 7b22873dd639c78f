// Linearizable reads (ReadIndex, thesis §6.4), batched the way etcd's linearizableReadLoop does: one
// read-index round in flight at a time; every read that arrives while a round is in flight joins the
// next one. Joining the in-flight round would be wrong: its index was fixed before the read arrived
// and may miss a write that completed in between.

import { KvError } from '@halyard/kv-client/protocol';
import type { Cancel, MemberClock } from './seams.ts';

export interface ReadIndexSource {
  /** Ask the Raft core for a read index; the answer arrives through `answered`. Throws if impossible. */
  requestReadIndex(requestId: string): void;
  /** Resolves once the local state machine has applied `index`. */
  waitApplied(index: number, timeoutMs: number): Promise<void>;
}

/** Planted bugs, for tests that prove the simulator's checks can fail. Never set outside tests. */
export interface ReadBarrierBugs {
  /** A new read joins the round already in flight, whose index was fixed before the read arrived. */
  readonly joinInFlightReadRound?: boolean;
}

interface Round {
  readonly requestId: string;
  readonly waiters: { resolve: (index: number) => void; reject: (e: Error) => void }[];
  cancelRetry: Cancel | undefined;
}

export class ReadBarrier {
  private inFlight: Round | undefined;
  private next: Round['waiters'] = [];
  private seq = 0;

  constructor(
    private readonly source: ReadIndexSource,
    private readonly memberId: number,
    /** A round not answered within this (lost message, leader change) is asked again. */
    private readonly retryMs: number,
    private readonly clock: MemberClock,
    private readonly bugs: ReadBarrierBugs = {},
  ) {}

  /** Resolves when a read started now may be served from the local state machine. */
  async barrier(timeoutMs: number): Promise<void> {
    const deadline = this.clock.nowMs() + timeoutMs;
    const index = await new Promise<number>((resolve, reject) => {
      const cancel = this.clock.after(timeoutMs, () => reject(new KvError('Timeout', 'no read index in time (is there a leader?)')));
      const queue = this.bugs.joinInFlightReadRound === true && this.inFlight !== undefined ? this.inFlight.waiters : this.next;
      queue.push({
        resolve: (i) => {
          cancel();
          resolve(i);
        },
        reject: (e) => {
          cancel();
          reject(e);
        },
      });
      this.maybeStartRound();
    });
    await this.source.waitApplied(index, Math.max(1, deadline - this.clock.nowMs()));
  }

  private maybeStartRound(): void {
    if (this.inFlight !== undefined || this.next.length === 0) return;
    const round: Round = { requestId: `${this.memberId}-r${++this.seq}`, waiters: this.next, cancelRetry: undefined };
    this.next = [];
    this.inFlight = round;
    this.ask(round);
  }

  private ask(round: Round): void {
    try {
      this.source.requestReadIndex(round.requestId);
    } catch {
      // No leader known yet: keep the readers waiting and ask again shortly (their own deadlines bound it).
    }
    round.cancelRetry = this.clock.after(this.retryMs, () => {
      if (this.inFlight !== round) return;
      // Ask again under a fresh id so a late answer to the old one cannot be mistaken for this one.
      const again: Round = { requestId: `${this.memberId}-r${++this.seq}`, waiters: round.waiters, cancelRetry: undefined };
      this.inFlight = again;
      this.ask(again);
    });
  }

  /** The Raft core answered a read-index request. */
  answered(requestId: string, index: number): void {
    const round = this.inFlight;
    if (round === undefined || round.requestId !== requestId) return;
    round.cancelRetry?.();
    this.inFlight = undefined;
    for (const w of round.waiters) w.resolve(index);
    this.maybeStartRound();
  }

  close(err: Error): void {
    if (this.inFlight !== undefined) {
      this.inFlight.cancelRetry?.();
      for (const w of this.inFlight.waiters) w.reject(err);
    }
    for (const w of this.next) w.reject(err);
    this.inFlight = undefined;
    this.next = [];
  }
}
