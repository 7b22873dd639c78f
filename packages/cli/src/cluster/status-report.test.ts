// The cluster's printed status: a ready line once a leader exists, lines at leader changes, and the table
// only when roles, terms or reachability change (not for indexes, not for one slow answer).
import { describe, expect, it } from 'vitest';
import type { MemberRow } from './dashboard.ts';
import { DOWN_SAMPLES, StatusReporter } from './status-report.ts';

const row = (name: string, role: string, term: number, applied = 10, error?: string): MemberRow => ({
  name,
  endpoint: `http://127.0.0.1:${name.slice(1)}`,
  id: name === 'm1' ? '0000000000000001' : '0000000000000002',
  role,
  term,
  raftIndex: applied,
  appliedIndex: applied,
  revision: applied,
  dbSizeBytes: 100,
  ...(error !== undefined ? { error } : {}),
});
const tables = (lines: readonly string[]): number => lines.filter((l) => l.startsWith('NAME')).length;

describe('StatusReporter', () => {
  it('prints the table first, the ready line once a leader exists, and nothing while only indexes move', () => {
    const r = new StatusReporter();
    const first = r.next([row('m1', 'no leader', 1), row('m2', 'no leader', 1)]);
    expect(tables(first)).toBe(1);
    expect(first.some((l) => l.startsWith('ready'))).toBe(false);
    const elected = r.next([row('m1', 'leader', 2), row('m2', 'follower', 2)]);
    expect(elected[0]).toBe('ready: leader m1 (term 2)');
    expect(tables(elected)).toBe(1);
    for (let applied = 11; applied < 40; applied++) expect(r.next([row('m1', 'leader', 2, applied), row('m2', 'follower', 2, applied)])).toEqual([]);
  });

  it('prints a line and the table at a leader change and when the leader is lost', () => {
    const r = new StatusReporter();
    r.next([row('m1', 'leader', 2), row('m2', 'follower', 2)]);
    const moved = r.next([row('m1', 'follower', 3), row('m2', 'leader', 3)]);
    expect(moved[0]).toBe('leader: leader m2 (term 3)');
    expect(tables(moved)).toBe(1);
    const lost = r.next([row('m1', 'no leader', 4), row('m2', 'no leader', 4)]);
    expect(lost[0]).toBe('no leader: election in progress or no quorum');
  });

  it(`reports a member unreachable only after ${DOWN_SAMPLES} failed samples in a row`, () => {
    const r = new StatusReporter();
    r.next([row('m1', 'leader', 2), row('m2', 'follower', 2)]);
    expect(r.next([row('m1', 'leader', 2), row('m2', 'down', 0, 0, 'timeout')])).toEqual([]);
    expect(r.next([row('m1', 'leader', 2), row('m2', 'follower', 2)])).toEqual([]);
    r.next([row('m1', 'leader', 2), row('m2', 'down', 0, 0, 'timeout')]);
    const down = r.next([row('m1', 'leader', 2), row('m2', 'down', 0, 0, 'connection refused')]);
    expect(tables(down)).toBe(1);
    expect(down.join('\n')).toContain('unreachable (connection refused)');
  });
});
