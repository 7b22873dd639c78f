// What the leader knows of one follower's log (Raft §5.3 nextIndex/matchIndex) and how it sends to it:
// probe (one append at a time until the match point is found), replicate (pipelined, bounded by
// inflights), snapshot (waiting for a snapshot to be installed).

import { Inflights } from './inflights.ts';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append is out and unanswered; wait for a response or a heartbeat response. */
  paused = false;
  pendingSnapshot = 0;
  /** Election timeouts spent in snapshot state; the leader gives up and probes again after a bound. */
  snapshotTimeouts = 0;
  /** Heard from within the current election timeout (CheckQuorum). */
  recentActive = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(next: number, isLearner: boolean, inflightsCountMax: number, inflightsBytesMax: number) {
    this.next = next;
    this.isLearner = isLearner;
    this.inflights = new Inflights(inflightsCountMax, inflightsBytesMax);
  }

  private reset(state: ProgressState): void {
    this.paused = false;
    this.pendingSnapshot = 0;
    this.snapshotTimeouts = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.reset('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.reset('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.reset('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.reset('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** An acknowledgement up to n; returns whether match moved forward. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.paused = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * The follower rejected an append at `rejected`; `matchHint` is the highest index that may match.
   * Returns false when the rejection is stale (an answer to an older message).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.paused = false;
    return true;
  }

  /** Record an append just sent whose last entry is lastIndex. */
  sentEntries(lastIndex: number, count: number, sizeBytes: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, sizeBytes);
      }
    } else if (this.state === 'probe') {
      this.paused = true;
    }
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.paused;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
