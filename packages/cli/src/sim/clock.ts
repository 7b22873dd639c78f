// The simulator's virtual clock: a discrete-event queue. Nothing in the simulation reads a real clock;
// time advances only by popping the next event, so one seed always yields one interleaving.

export interface ScheduledEvent<E> {
  readonly timeMs: number;
  /** Tie-breaker for events at the same virtual time: the order they were scheduled in. */
  readonly seq: number;
  readonly event: E;
}

/** A binary min-heap ordered by (timeMs, seq), which makes simultaneous events deterministic. */
export class EventQueue<E> {
  private readonly heap: ScheduledEvent<E>[] = [];
  private seqNext = 0;
  private nowMsValue = 0;

  get nowMs(): number {
    return this.nowMsValue;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Schedule `event` at absolute virtual time `atMs` (never in the past). */
  schedule(atMs: number, event: E): void {
    if (!(atMs >= this.nowMsValue)) throw new RangeError(`cannot schedule at ${atMs} before now ${this.nowMsValue}`);
    const item: ScheduledEvent<E> = { timeMs: atMs, seq: this.seqNext++, event };
    this.heap.push(item);
    this.siftUp(this.heap.length - 1);
  }

  after(delayMs: number, event: E): void {
    this.schedule(this.nowMsValue + delayMs, event);
  }

  /** Remove the earliest event and move the clock to its time. */
  pop(): ScheduledEvent<E> | undefined {
    const top = this.heap[0];
    if (top === undefined) return undefined;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    this.nowMsValue = top.timeMs;
    return top;
  }

  peekTimeMs(): number | undefined {
    return this.heap[0]?.timeMs;
  }

  private less(a: ScheduledEvent<E>, b: ScheduledEvent<E>): boolean {
    return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
  }

  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) return;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
