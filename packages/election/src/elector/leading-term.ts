// One term of leadership: from a successful acquisition until the renew deadline passes without a
// successful renewal, the lease is lost to another candidate, or the run is cancelled.
//
// The deadline is counted from the moment the last successful write (acquire or renew) was SENT, on our
// own monotonic clock. That write was committed after it was sent, and a candidate starts counting
// leaseDuration only once it has seen it, so on any candidate's clock the lease is still valid for at least
// leaseDuration after our deadline's start; ending ours renewDeadline after it leaves
// leaseDuration − renewDeadline for clock-rate differences (docs/election.md, "Clock assumptions").
// client-go counts renewDeadline from the start of each renew round instead (up to retryPeriod later).
import type { CancelTimer, ElectionClock } from '../clock.ts';
import { ElectionError } from '../errors.ts';

/** What onStartedLeading receives besides the signal: who leads, with which fencing token, until when. */
export interface LeadingLease {
  readonly identity: string;
  /** Strictly greater than the token of every earlier acquisition of this lease, by anyone. */
  readonly fencingToken: number;
  /** Aborts when this term ends (renew deadline, lost lease, cancelled run). */
  readonly signal: AbortSignal;
  /**
   * True while this term holds on our own clock. Checks the clock itself, so it is right even when the
   * deadline timer is late (a process resumed after a stall runs I/O callbacks before overdue timers);
   * when the deadline has passed it aborts `signal` first. Use it right before acting.
   */
  holds(): boolean;
  /** Throws ElectionError('NotLeader') unless `holds()`. */
  assertHolds(): void;
  /** Monotonic time (the elector's clock) at which this term ends unless renewed. */
  readonly validUntilMs: number;
}

/** Why a term ended: the reason of its signal's abort. */
export type TermEnd = 'renew deadline passed' | 'lease lost to another holder' | 'run cancelled';

export class LeadingTerm implements LeadingLease {
  private readonly controller = new AbortController();
  private cancelTimer: CancelTimer | undefined;
  private validUntil: number;

  constructor(
    readonly identity: string,
    readonly fencingToken: number,
    validUntilMs: number,
    private readonly clock: ElectionClock,
    private readonly onEnd: (why: TermEnd) => void,
  ) {
    this.validUntil = validUntilMs;
    this.armTimer();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get validUntilMs(): number {
    return this.validUntil;
  }

  holds(): boolean {
    if (this.controller.signal.aborted) return false;
    if (this.clock.nowMs() >= this.validUntil) {
      this.end('renew deadline passed');
      return false;
    }
    return true;
  }

  assertHolds(): void {
    if (!this.holds()) throw new ElectionError('NotLeader', `${this.identity} no longer leads (${String(this.controller.signal.reason instanceof Error ? this.controller.signal.reason.message : this.controller.signal.reason)})`);
  }

  /** A renewal sent at `sentAtMs` succeeded: the term now lasts until `sentAtMs + renewDeadlineMs`. */
  extend(validUntilMs: number): void {
    if (this.controller.signal.aborted) return;
    // Renewals are sent one after another, so a later success never shortens the term.
    if (validUntilMs <= this.validUntil) return;
    this.validUntil = validUntilMs;
    this.armTimer();
  }

  /** Ends the term (idempotent): aborts the signal with an ElectionError('NotLeader') saying why. */
  end(why: TermEnd): void {
    if (this.controller.signal.aborted) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.controller.abort(new ElectionError('NotLeader', `leadership of ${this.identity} ended: ${why}`));
    this.onEnd(why);
  }

  private armTimer(): void {
    this.cancelTimer?.();
    // A timer may fire a fraction of a millisecond early by the monotonic clock (Node's timers count whole
    // milliseconds of the loop's time); then it is armed again for the rest.
    this.cancelTimer = this.clock.setTimer(() => {
      if (this.holds()) this.armTimer();
    }, this.validUntil - this.clock.nowMs());
  }
}
