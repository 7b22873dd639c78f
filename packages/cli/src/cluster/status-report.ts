// What `halyard start` / `kv cluster up` print about their cluster: a `ready: leader m1 (term 2)` line
// once there is a leader, a line at each leader change, and the status table whenever what the table
// says about roles and terms changes — not on a timer, and not for indexes and revisions that move with
// every write. A member counts as unreachable only after DOWN_SAMPLES failed samples in a row, so one
// slow status answer on a busy machine does not print the table twice.
import type { MemberRow } from './dashboard.ts';

/** Consecutive failed status samples before a member is reported unreachable. */
export const DOWN_SAMPLES = 2;

export function statusTable(rows: readonly MemberRow[]): string {
  const header = ['NAME', 'CLIENT ENDPOINT', 'ID', 'ROLE', 'TERM', 'RAFT INDEX', 'APPLIED', 'REVISION'];
  const cell = (v: number | null): string => (v === null ? '-' : String(v));
  const body = rows.map((r) => [r.name, r.endpoint, r.id, r.error !== undefined ? `unreachable (${r.error})`.slice(0, 40) : r.role, cell(r.term), cell(r.raftIndex), cell(r.appliedIndex), cell(r.revision)]);
  const all = [header, ...body];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] as string).length)));
  return all.map((r) => r.map((v, c) => v.padEnd(widths[c] as number)).join('  ').trimEnd()).join('\n');
}

export class StatusReporter {
  private readonly failures = new Map<string, number>();
  private readonly lastGood = new Map<string, MemberRow>();
  private printedKey: string | undefined;
  private leaderKey: string | undefined;
  private ready = false;

  /** The lines to print after this sample of every member: none when nothing that matters changed. */
  next(sample: readonly MemberRow[]): string[] {
    const rows = sample.map((r) => this.debounced(r));
    const lines: string[] = [];
    const leader = rows.find((r) => r.error === undefined && r.role === 'leader');
    const leaderKey = leader === undefined ? 'none' : `${leader.name}/${leader.term ?? 0}`;
    if (leaderKey !== this.leaderKey) {
      if (leader !== undefined) lines.push(`${this.ready ? 'leader' : 'ready'}: leader ${leader.name} (term ${leader.term ?? 0})`);
      else if (this.ready) lines.push('no leader: election in progress or no quorum');
      if (leader !== undefined) this.ready = true;
      this.leaderKey = leaderKey;
    }
    const key = JSON.stringify(rows.map((r) => [r.name, r.error !== undefined ? 'unreachable' : r.role, r.term, r.id]));
    if (key !== this.printedKey) {
      this.printedKey = key;
      lines.push(statusTable(rows), '');
    }
    return lines;
  }

  /** A failed sample stands for the member only once it has failed DOWN_SAMPLES times in a row. */
  private debounced(r: MemberRow): MemberRow {
    if (r.error === undefined) {
      this.failures.delete(r.name);
      this.lastGood.set(r.name, r);
      return r;
    }
    const n = (this.failures.get(r.name) ?? 0) + 1;
    this.failures.set(r.name, n);
    const good = this.lastGood.get(r.name);
    return n < DOWN_SAMPLES && good !== undefined ? good : r;
  }
}
