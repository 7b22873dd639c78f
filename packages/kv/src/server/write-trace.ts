// Where a write's time goes: per-stage timestamps of each log entry on this member, for the put trace
// (packages/cli/bench/put-trace.ts, docs/performance.md "Where a put's time goes"). Off unless the member
// process runs with HALYARD_WRITE_TRACE=1; then the client port serves them at GET /debug/write-trace.
//
// It sits around the Raft core, never inside it (the core stays pure): the client service, the member's
// inputs, the Ready loop and the transport mark stages. Times are CLOCK_MONOTONIC nanoseconds
// (process.hrtime.bigint()), one clock for every process on the machine, so the client's and each
// member's stamps of one put line up.

import type { Entry, Message } from '../raft/types.ts';

/** The environment variable that turns tracing on in a member process. */
export const WRITE_TRACE_ENV = 'HALYARD_WRITE_TRACE';

/** Entries whose stamps are kept; the oldest are dropped beyond it (a bound on memory). */
export const WRITE_TRACE_ENTRIES_MAX = 100_000;

/**
 * The stages, in the order a put meets them. The leader marks clientRecv … appendSent, ackRecv,
 * applyStart, applied and replySent; a follower marks appendRecv, persistStart, persistEnd, ackSent; both
 * persist their own copy.
 */
export const WRITE_STAGES = [
  'clientRecv',
  'proposed',
  'persistStart',
  'appendSent',
  'appendRecv',
  'persistEnd',
  'ackSent',
  'ackRecv',
  'applyStart',
  'applied',
  'replySent',
] as const;

export type WriteStage = (typeof WRITE_STAGES)[number];

/** What GET /debug/write-trace returns: for each traced log index, the monotonic ns of each stage seen. */
export interface WriteTraceDump {
  readonly memberId: number;
  readonly entries: readonly { readonly index: number; readonly stagesNs: Partial<Record<WriteStage, number>> }[];
}

/** Monotonic now in ns (a double is exact for ~104 days of uptime in ns, far past a benchmark). */
export function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}

export class WriteTrace {
  private readonly byIndex = new Map<number, Partial<Record<WriteStage, number>>>();
  private arrivalNs: number | undefined;
  private proposedIndex: number | undefined;

  constructor(private readonly memberId: number) {}

  /** A tracer when the environment asks for one, else undefined (tracing costs nothing when off). */
  static fromEnv(memberId: number, env: NodeJS.ProcessEnv = process.env): WriteTrace | undefined {
    const v = env[WRITE_TRACE_ENV];
    return v === '1' || v === 'true' ? new WriteTrace(memberId) : undefined;
  }

  /** Stamp `stage` of entry `index` now; the first stamp of a stage wins (retransmissions do not move it). */
  mark(index: number, stage: WriteStage, atNs = monotonicNs()): void {
    let r = this.byIndex.get(index);
    if (r === undefined) {
      r = {};
      this.byIndex.set(index, r);
      if (this.byIndex.size > WRITE_TRACE_ENTRIES_MAX) this.byIndex.delete(this.byIndex.keys().next().value!);
    }
    if (r[stage] === undefined) r[stage] = atNs;
  }

  markEntries(entries: readonly Entry[], stage: WriteStage): void {
    if (entries.length === 0) return;
    const now = monotonicNs();
    for (const e of entries) this.mark(e.index, stage, now);
  }

  /**
   * A client request frame arrived. The client service serves it synchronously up to the proposal, so a
   * proposal made before `takeProposed()` is this request's.
   */
  requestArrived(): void {
    this.arrivalNs = monotonicNs();
    this.proposedIndex = undefined;
  }

  /** The member proposed entry `index` for the request that arrived last. */
  proposed(index: number): void {
    if (this.arrivalNs !== undefined) this.mark(index, 'clientRecv', this.arrivalNs);
    this.mark(index, 'proposed');
    this.proposedIndex = index;
  }

  /** The index proposed since requestArrived(), if any (a read proposes nothing); clears it. */
  takeProposed(): number | undefined {
    const i = this.proposedIndex;
    this.proposedIndex = undefined;
    this.arrivalNs = undefined;
    return i;
  }

  /** Messages handed to a socket: a leader's appends, a follower's acknowledgements. */
  sent(messages: readonly Message[]): void {
    const now = monotonicNs();
    for (const m of messages) {
      if (m.type === 'append') for (const e of m.entries) this.mark(e.index, 'appendSent', now);
      else if (m.type === 'appendResponse' && !m.reject) this.mark(m.index, 'ackSent', now);
    }
  }

  /** A message from a peer, before the core steps it. */
  received(m: Message): void {
    if (m.type === 'append') this.markEntries(m.entries, 'appendRecv');
    else if (m.type === 'appendResponse' && !m.reject) this.mark(m.index, 'ackRecv');
  }

  dump(): WriteTraceDump {
    return { memberId: this.memberId, entries: [...this.byIndex].map(([index, stagesNs]) => ({ index, stagesNs: { ...stagesNs } })) };
  }
}
