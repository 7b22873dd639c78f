// ReadIndex (thesis §6.4): a read is served at the commit index the leader had when the read arrived,
// once a heartbeat round acknowledged by a majority proves the leader was still the leader at that moment.
// Many reads share one round: each round carries a sequence number, and an acknowledgement of round n
// confirms every read of round ≤ n.

import { type NodeId, invariant } from './types.ts';

export interface PendingRead {
  readonly requestId: string;
  readonly index: number;
  /** Who asked: the leader itself, or a follower that forwarded the read. */
  readonly from: NodeId;
  readonly round: number;
  readonly acks: Set<NodeId>;
}

export class ReadOnlyQueue {
  private queue: PendingRead[] = [];
  private roundSeq = 0;

  /** @param pendingReadsMax reads that may wait for confirmation at once; the leader refuses more (isFull). */
  constructor(private readonly pendingReadsMax: number) {
    invariant(Number.isSafeInteger(pendingReadsMax) && pendingReadsMax > 0, `pendingReadsMax must be a positive integer, got ${pendingReadsMax}`);
  }

  /** Whether another read must be refused (the caller answers ReadQueueFull rather than queue without bound). */
  isFull(): boolean {
    return this.queue.length >= this.pendingReadsMax;
  }

  /** Queue a read at `index`; returns the heartbeat round that must confirm it. The queue must not be full. */
  add(requestId: string, index: number, from: NodeId, self: NodeId): number {
    invariant(!this.isFull(), `read queue full (${this.pendingReadsMax} reads)`);
    this.roundSeq++;
    this.queue.push({ requestId, index, from, round: this.roundSeq, acks: new Set([self]) });
    return this.roundSeq;
  }

  /** The round the next heartbeat should carry (0 when nothing waits). */
  currentRound(): number {
    return this.queue.length > 0 ? this.roundSeq : 0;
  }

  /** `from` acknowledged heartbeat round `round`; returns the reads now confirmed by `isQuorum`, in order. */
  ack(from: NodeId, round: number, isQuorum: (acks: ReadonlySet<NodeId>) => boolean): PendingRead[] {
    for (const r of this.queue) {
      if (r.round > round) break;
      r.acks.add(from);
    }
    let n = 0;
    // Later reads are confirmed only together with or after earlier ones: the queue is in round order.
    let lastConfirmed = -1;
    for (let i = 0; i < this.queue.length; i++) {
      if (isQuorum(this.queue[i]!.acks)) lastConfirmed = i;
    }
    n = lastConfirmed + 1;
    const done = this.queue.slice(0, n);
    this.queue = this.queue.slice(n);
    return done;
  }

  /** Leadership lost: every pending read must be retried elsewhere. */
  clear(): PendingRead[] {
    const dropped = this.queue;
    this.queue = [];
    return dropped;
  }

  size(): number {
    return this.queue.length;
  }
}
