// Turns the client's send/receive stamps and each member's per-entry stage stamps (server/write-trace.ts)
// into one timeline per put, and the median of each stage over all puts: the table in docs/performance.md
// "Where a put's time goes". Pure: no I/O, so it is tested on its own (test/bench/put-trace-analyse.test.ts).

import type { WriteStage, WriteTraceDump } from '../../../kv/src/server/write-trace.ts';

/** One put as the client saw it: CLOCK_MONOTONIC ns, the same clock the members stamp with. */
export interface ClientPut {
  readonly sendNs: number;
  readonly recvNs: number;
}

/** A row of the timeline: where the stamp comes from, and its median time after the client's send. */
export interface StageRow {
  readonly stage: string;
  /** Median of (stamp − client send) over the puts that have the stamp, µs. */
  readonly atUsP50: number;
  /** Median of (stamp − the latest stamp it waits for), µs: the cost of this step. */
  readonly stepUsP50: number;
  readonly puts: number;
}

export interface PutTraceReport {
  readonly puts: number;
  /** Puts matched to a leader entry (the rest are left out of the stage rows). */
  readonly matched: number;
  readonly totalUsP50: number;
  readonly totalUsP99: number;
  readonly rows: readonly StageRow[];
}

type Stamps = Partial<Record<WriteStage, number>>;

/** A stamp of the timeline: whose, which stage, and the stamps it waits for (the latest of them). */
interface TimelineStep {
  readonly label: string;
  readonly role: 'client' | 'leader' | 'follower';
  readonly stage: WriteStage | 'send' | 'recv';
  /** Indices into TIMELINE of what this step waits for; its cost is measured from the latest of them. */
  readonly after: readonly number[];
}

/**
 * The timeline a put walks: (member role, stage), each with what it waits for. The follower is the one
 * whose acknowledgement left first (the one that completes the quorum). The leader's own persist runs beside
 * replication (thesis §10.2.1); commit waits for both it and the acknowledgement.
 */
export const TIMELINE: readonly TimelineStep[] = [
  { label: 'client send', role: 'client', stage: 'send', after: [] },
  { label: 'leader: request frame received', role: 'leader', stage: 'clientRecv', after: [0] },
  { label: 'leader: proposed', role: 'leader', stage: 'proposed', after: [1] },
  { label: 'leader: append handed to socket', role: 'leader', stage: 'appendSent', after: [2] },
  { label: 'leader: own persist started', role: 'leader', stage: 'persistStart', after: [2] },
  { label: 'leader: own persist done (fsync)', role: 'leader', stage: 'persistEnd', after: [4] },
  { label: 'follower: append received', role: 'follower', stage: 'appendRecv', after: [3] },
  { label: 'follower: persist started', role: 'follower', stage: 'persistStart', after: [6] },
  { label: 'follower: persist done (fsync)', role: 'follower', stage: 'persistEnd', after: [7] },
  { label: 'follower: ack handed to socket', role: 'follower', stage: 'ackSent', after: [8] },
  { label: 'leader: ack received', role: 'leader', stage: 'ackRecv', after: [9] },
  { label: 'leader: committed, apply starts', role: 'leader', stage: 'applyStart', after: [5, 10] },
  { label: 'leader: applied', role: 'leader', stage: 'applied', after: [11] },
  { label: 'leader: reply handed to socket', role: 'leader', stage: 'replySent', after: [12] },
  { label: 'client: reply received', role: 'client', stage: 'recv', after: [13] },
];

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(xs: number[]): number {
  return percentile(xs.sort((a, b) => a - b), 50);
}

/**
 * Match each client put to the leader entry whose request arrived between the put's send and receive
 * (one put in flight: at most one does), and take the follower that acknowledged it first.
 */
export function analysePuts(client: readonly ClientPut[], dumps: readonly WriteTraceDump[]): PutTraceReport {
  const leader = dumps.reduce<WriteTraceDump | undefined>((best, d) => {
    const n = d.entries.filter((e) => e.stagesNs.clientRecv !== undefined).length;
    const bn = best === undefined ? -1 : best.entries.filter((e) => e.stagesNs.clientRecv !== undefined).length;
    return n > bn ? d : best;
  }, undefined);
  const followers = dumps.filter((d) => d !== leader).map((d) => new Map(d.entries.map((e) => [e.index, e.stagesNs])));
  const arrivals = (leader?.entries ?? []).filter((e) => e.stagesNs.clientRecv !== undefined).sort((a, b) => a.stagesNs.clientRecv! - b.stagesNs.clientRecv!);
  const timelines: (readonly (number | undefined)[])[] = [];
  let next = 0;
  for (const put of client) {
    while (next < arrivals.length && arrivals[next]!.stagesNs.clientRecv! < put.sendNs) next++;
    const hit = arrivals[next];
    if (hit === undefined || hit.stagesNs.clientRecv! > put.recvNs) continue;
    next++;
    const lead: Stamps = hit.stagesNs;
    let fol: Stamps = {};
    for (const f of followers) {
      const s = f.get(hit.index);
      if (s?.ackSent !== undefined && (fol.ackSent === undefined || s.ackSent < fol.ackSent)) fol = s;
    }
    timelines.push(
      TIMELINE.map((t) => {
        if (t.role === 'client') return t.stage === 'send' ? put.sendNs : put.recvNs;
        return (t.role === 'leader' ? lead : fol)[t.stage as WriteStage];
      }),
    );
  }
  const totals = client.map((p) => (p.recvNs - p.sendNs) / 1000).sort((a, b) => a - b);
  const rows = TIMELINE.map((t, i) => {
    const at: number[] = [];
    const step: number[] = [];
    for (const tl of timelines) {
      const v = tl[i];
      if (v === undefined) continue;
      at.push((v - tl[0]!) / 1000);
      const waited = t.after.map((j) => tl[j]);
      if (waited.length > 0 && waited.every((x) => x !== undefined)) step.push((v - Math.max(...(waited as number[]))) / 1000);
    }
    return { stage: t.label, atUsP50: median(at), stepUsP50: i === 0 ? 0 : median(step), puts: at.length };
  });
  return { puts: client.length, matched: timelines.length, totalUsP50: percentile(totals, 50), totalUsP99: percentile(totals, 99), rows };
}

/** The report as a markdown table (µs), as docs/performance.md shows it. */
export function renderPutTrace(r: PutTraceReport): string {
  const lines = [
    `${r.puts} puts, one in flight (${r.matched} matched to a leader entry): p50 ${(r.totalUsP50 / 1000).toFixed(2)} ms, p99 ${(r.totalUsP99 / 1000).toFixed(2)} ms`,
    '',
    '| stage | median since client send (µs) | median cost of this step (µs, from what it waits for) |',
    '|---|---:|---:|',
  ];
  for (const row of r.rows) lines.push(`| ${row.stage} | ${Number.isNaN(row.atUsP50) ? '–' : row.atUsP50.toFixed(0)} | ${Number.isNaN(row.stepUsP50) ? '–' : row.stepUsP50.toFixed(0)} |`);
  return lines.join('\n');
}
