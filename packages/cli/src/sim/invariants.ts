// Raft's safety properties (paper figure 3, §5.4) and the KV's client guarantees, checked while the
// simulation runs. Each check runs at the step that can break it: a log write is checked when the
// member persists a Ready, an apply when it applies, a role or commit change right after the event
// that caused it. Since every simulator step touches one member, this is equivalent to checking all
// members after every step, at a cost proportional to what changed.
//
// The checker keeps "ghost" records no real member could have (every leader ever seen, every entry
// ever committed, the term each commit was first seen in): the properties are about the whole
// history of the cluster, not any one member's view.

import { applyConfChange, type MemoryStorage, type ConfState, type Entry, type NodeId, type Role, type Snapshot } from '@halyard/kv/raft';
import type { DurableWrite } from '@halyard/kv/server';

/**
 * A stable identity for an entry, for the ghost records: its term and its exact bytes (a configuration
 * change by its kind and node). Two entries with one fingerprint are the same entry.
 */
export function entryFingerprint(e: Entry): string {
  if (e.type === 'confChange') return `${e.term}/cc:${e.change.type}:${e.change.nodeId}`;
  return `${e.term}/${Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('base64')}`;
}

export const VIOLATION_KINDS = [
  'ElectionSafety',
  'LeaderAppendOnly',
  'LogMatching',
  'LeaderCompleteness',
  'StateMachineSafety',
  'ConfigurationAgreement',
  'CommitRule',
  'CommittedLost',
  'StaleRead',
  'Liveness',
  'Linearizability',
  'LeaseExpiredEarly',
  'DuplicateApply',
  'MemberInvariant',
  'CoreError',
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export interface Violation {
  readonly kind: ViolationKind;
  readonly timeMs: number;
  readonly nodeId: NodeId | undefined;
  readonly message: string;
}

/** What the checker needs to know of a member's state right after a step. */
export interface MemberView {
  readonly id: NodeId;
  readonly term: number;
  readonly role: Role;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  /** The member's configuration as it has applied it (optional for hand-made views in tests). */
  readonly voters?: readonly NodeId[];
  readonly learners?: readonly NodeId[];
  /**
   * No Ready of the member is between ready() and advance() (its loop has no write in flight): its
   * configuration and applied index then describe the same point of the log.
   */
  readonly settled?: boolean;
  /** An apply of committed entries has not settled (its state machine lags; the core waits for it). */
  readonly applying?: boolean;
  /** The member's log as the core reads it (volatile; includes writes whose fsync is pending). */
  readonly storage: MemoryStorage;
}

interface CommittedEntry {
  readonly term: number;
  readonly fingerprint: string;
}

export class InvariantChecker {
  readonly violations: Violation[] = [];

  /** Election Safety ghost: the leader of every term ever observed. */
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** Log Matching ghost: for every (index, term) ever written anywhere, the entry and its predecessor's term. */
  private readonly everWritten = new Map<string, { fingerprint: string; prevTerm: number | undefined }>();
  /** State Machine Safety ghost: index → the entry committed there (learned from leaders' logs and applies). */
  private readonly committed = new Map<number, CommittedEntry>();
  private committedIndexMax = 0;
  /**
   * Configuration ghost: the configuration the committed log defines after each configuration change, in
   * index order (the first member to apply a change defines it; every index is first applied in order).
   */
  private readonly confHistory: { index: number; conf: ConfState }[] = [{ index: 0, conf: { voters: [], learners: [] } }];
  /** Index → the term of the first member seen with commit ≥ index: the term it was committed in, or later. */
  private readonly commitTerm = new Map<number, number>();
  private commitObservedMax = 0;
  /** Per member, within one incarnation: last term and commit seen, to assert they never decrease. */
  private readonly lastSeen = new Map<NodeId, { term: number; commit: number; role: Role }>();
  /** Per leader: the log shape last checked for Leader Completeness, to skip unchanged re-checks. */
  private readonly completenessCheckedKey = new Map<NodeId, string>();
  /** ReadIndex ghost: per key, the highest revision of a write acknowledged so far (and whether it deleted). */
  private readonly ackedRevisionByKey = new Map<string, { revision: number; deleted: boolean }>();
  private ackedRevisionMax = 0;
  /** Reads in flight: the revisions they must observe, fixed at their invocation. */
  private readonly readFloors = new Map<number, { key: string; modRevisionMin: number; revisionMin: number }>();

  private nowMs = 0;
  /** Kinds a run asked not to report, e.g. CommitRule when hunting the figure 8 bug's consequences. */
  private readonly disabled: ReadonlySet<ViolationKind>;

  constructor(disabled: readonly ViolationKind[] = []) {
    this.disabled = new Set(disabled);
  }

  setTime(nowMs: number): void {
    this.nowMs = nowMs;
  }

  get ok(): boolean {
    return this.violations.length === 0;
  }

  report(kind: ViolationKind, nodeId: NodeId | undefined, message: string): void {
    if (this.disabled.has(kind)) return;
    this.violations.push({ kind, timeMs: this.nowMs, nodeId, message });
  }

  /** A restarted member starts a new incarnation: its term may legitimately go back to the durable one. */
  onRestart(id: NodeId): void {
    this.lastSeen.delete(id);
    this.completenessCheckedKey.delete(id);
  }

  /**
   * Checked when a member persists a Ready (before the write reaches its log).
   * - Leader Append-Only (§5.3): a leader never overwrites or deletes entries in its log; it only
   *   appends. A Ready taken while the member is leader must not conflict with its stored log, nor
   *   install a snapshot. (A member becomes leader only after its vote requests went out, which is
   *   after every entry it held as a follower was handed out, so a leader's Ready carries only its own.)
   * - Committed entries are never lost: a member never truncates its log at or below its own commit
   *   index (etcd panics on this too).
   * - Log Matching (§5.3): if two logs hold an entry with the same index and term, the entries are the
   *   same and so are their predecessors' terms; by induction the logs are identical up to there. We
   *   record every (index, term) ever written with its entry and predecessor term, and compare.
   */
  onPersist(v: MemberView, w: DurableWrite): void {
    const s = v.storage;
    const commitBefore = s.initialState().hardState.commit;
    if (w.snapshot !== undefined) {
      if (v.role === 'leader') this.report('LeaderAppendOnly', v.id, `leader of term ${v.term} installs a snapshot at ${w.snapshot.metadata.index}`);
      this.checkSnapshot(v.id, w.snapshot);
    }
    // Emulate the append entry by entry, so each entry's predecessor is known even within one batch.
    const firstStored = w.snapshot !== undefined ? w.snapshot.metadata.index + 1 : s.firstIndex();
    const lastStored = w.snapshot !== undefined ? w.snapshot.metadata.index : s.lastIndex();
    const snapTerm = w.snapshot !== undefined ? w.snapshot.metadata.term : s.term(s.firstIndex() - 1);
    const batch = new Map<number, number>();
    let truncatedFrom = Number.POSITIVE_INFINITY;
    const termAt = (i: number): number | undefined => {
      const b = batch.get(i);
      if (b !== undefined) return b;
      if (i === firstStored - 1) return snapTerm;
      if (i < firstStored || i > lastStored || i >= truncatedFrom) return undefined;
      return s.term(i);
    };
    for (const e of w.entries) {
      const existing = termAt(e.index);
      if (existing !== undefined && existing !== e.term && e.index >= firstStored) {
        if (v.role === 'leader') {
          this.report('LeaderAppendOnly', v.id, `leader of term ${v.term} overwrites entry ${e.index} (term ${existing}) with term ${e.term}`);
        }
        if (e.index <= commitBefore) {
          this.report('CommittedLost', v.id, `member truncates its log at ${e.index}, at or below its commit index ${commitBefore}`);
        }
        truncatedFrom = Math.min(truncatedFrom, e.index);
        for (const k of [...batch.keys()]) if (k > e.index) batch.delete(k);
      }
      const prevTerm = termAt(e.index - 1);
      const fp = entryFingerprint(e);
      const key = `${e.index}:${e.term}`;
      const seen = this.everWritten.get(key);
      if (seen === undefined) {
        this.everWritten.set(key, { fingerprint: fp, prevTerm });
      } else {
        if (seen.fingerprint !== fp) {
          this.report('LogMatching', v.id, `entry (${e.index}, term ${e.term}) differs between logs: ${seen.fingerprint} vs ${fp}`);
        }
        if (seen.prevTerm !== undefined && prevTerm !== undefined && seen.prevTerm !== prevTerm) {
          this.report('LogMatching', v.id, `entry (${e.index}, term ${e.term}) follows term ${prevTerm} here but term ${seen.prevTerm} elsewhere`);
        } else if (seen.prevTerm === undefined && prevTerm !== undefined) {
          this.everWritten.set(key, { fingerprint: seen.fingerprint, prevTerm });
        }
      }
      batch.set(e.index, e.term);
    }
  }

  /**
   * State Machine Safety (§5.4.3): no two members apply different entries at the same index. The
   * first entry applied (or seen committed in a leader's log) at an index is the ghost all others
   * must match.
   */
  onApply(id: NodeId, e: Entry): void {
    this.noteCommitted(id, e.index, e.term, entryFingerprint(e), 'applies');
    const last = this.confHistory[this.confHistory.length - 1]!;
    if (e.type === 'confChange' && e.index > last.index) this.confHistory.push({ index: e.index, conf: applyConfChange(last.conf, e.change) });
  }

  /** The configuration the committed log defines at `index` (after applying every change ≤ index). */
  private confAt(index: number): ConfState {
    const h = this.confHistory;
    let lo = 0;
    let hi = h.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (h[mid]!.index <= index) lo = mid;
      else hi = mid - 1;
    }
    return h[lo]!.conf;
  }

  /**
   * Configuration agreement (membership safety, thesis §4.1): a change takes effect when applied, so a
   * member's configuration is exactly the one its log defines at its applied index — the same on every
   * member at the same index. A member that counts votes or commits with another configuration (a change
   * applied twice, lost, or applied over a newer snapshot's) can elect a second leader or commit with a
   * minority.
   */
  private checkConfiguration(v: MemberView): void {
    if (v.settled !== true || v.voters === undefined || v.learners === undefined) return;
    const want = this.confAt(v.applied);
    const same = (a: readonly NodeId[], b: readonly NodeId[]): boolean => a.length === b.length && [...a].sort((x, y) => x - y).every((x, i) => x === [...b].sort((p, q) => p - q)[i]);
    if (!same(v.voters, want.voters) || !same(v.learners, want.learners)) {
      this.report(
        'ConfigurationAgreement',
        v.id,
        `member at applied ${v.applied} has voters [${v.voters.join(',')}] learners [${v.learners.join(',')}], the log defines voters [${want.voters.join(',')}] learners [${want.learners.join(',')}]`,
      );
    }
  }

  /** A snapshot (received or restored) must agree with what was committed at its index. */
  checkSnapshot(id: NodeId, snap: Snapshot): void {
    const c = this.committed.get(snap.metadata.index);
    if (c !== undefined && c.term !== snap.metadata.term) {
      this.report('StateMachineSafety', id, `snapshot at ${snap.metadata.index} has term ${snap.metadata.term}, committed entry there has term ${c.term}`);
    }
  }

  private noteCommitted(id: NodeId, index: number, term: number, fingerprint: string, how: string): void {
    const c = this.committed.get(index);
    if (c === undefined) {
      this.committed.set(index, { term, fingerprint });
      if (index > this.committedIndexMax) this.committedIndexMax = index;
    } else if (c.term !== term || c.fingerprint !== fingerprint) {
      this.report('StateMachineSafety', id, `member ${how} ${fingerprint} at ${index}, but ${c.fingerprint} was committed there`);
    }
  }

  /**
   * Checked after every step on the member the step touched.
   * - Election Safety (§5.2): at most one leader per term, over the whole run.
   * - Member invariants: term and commit never decrease within an incarnation; applied ≤ commit ≤ last index.
   * - Configuration agreement: a settled member's configuration is the one its log defines at its applied index.
   * - Leader Completeness (§5.4): an entry committed in term U is in the log of every leader of a
   *   term T > U. Checked once the leader's own first entry of term T is in its log, since everything
   *   before that is the log it was elected with.
   */
  afterStep(v: MemberView): void {
    if (v.role === 'leader') {
      const prior = this.leaderOfTerm.get(v.term);
      if (prior === undefined) {
        this.leaderOfTerm.set(v.term, v.id);
        // Only voters campaign (learners receive the log but never vote or lead, thesis §4.2.1).
        if (v.voters !== undefined && !v.voters.includes(v.id)) {
          this.report('ElectionSafety', v.id, `member became leader of term ${v.term} without being a voter (voters ${v.voters.join(',')})`);
        }
      }
      else if (prior !== v.id) this.report('ElectionSafety', v.id, `two leaders in term ${v.term}: ${prior} and ${v.id}`);
    }
    const last = this.lastSeen.get(v.id);
    if (last !== undefined) {
      if (v.term < last.term) this.report('MemberInvariant', v.id, `term went back from ${last.term} to ${v.term}`);
      if (v.commit < last.commit) this.report('MemberInvariant', v.id, `commit went back from ${last.commit} to ${v.commit}`);
    }
    if (last !== undefined && last.role === 'leader' && v.role === 'leader' && last.term === v.term && v.commit > last.commit) {
      this.checkCommitRule(v, last.commit);
    }
    this.lastSeen.set(v.id, { term: v.term, commit: v.commit, role: v.role });
    this.checkConfiguration(v);
    if (!(v.applied <= v.commit && v.commit <= v.lastIndex)) {
      this.report('MemberInvariant', v.id, `need applied ${v.applied} ≤ commit ${v.commit} ≤ last index ${v.lastIndex}`);
    }
    for (let i = this.commitObservedMax + 1; i <= v.commit; i++) this.commitTerm.set(i, v.term);
    if (v.commit > this.commitObservedMax) this.commitObservedMax = v.commit;
    if (v.role === 'leader') {
      this.learnCommittedFromLeader(v);
      this.checkLeaderCompleteness(v);
    }
  }

  /**
   * Commit rule (§5.4.2, figure 8): a leader advances its commit index only to an entry of its own
   * term, counting replicas; earlier entries become committed indirectly. Committing an older-term
   * entry by counting replicas is what lets a later leader overwrite a "committed" entry.
   */
  private checkCommitRule(v: MemberView, commitBefore: number): void {
    const s = v.storage;
    if (v.commit < s.firstIndex() || v.commit > s.lastIndex()) return;
    const t = s.term(v.commit);
    if (t !== v.term) {
      this.report('CommitRule', v.id, `leader of term ${v.term} advanced commit from ${commitBefore} to ${v.commit}, an entry of term ${t}`);
    }
  }

  /** A leader counts only persisted entries toward commit, so its committed prefix is in its storage. */
  private learnCommittedFromLeader(v: MemberView): void {
    const s = v.storage;
    const hi = Math.min(v.commit, s.lastIndex());
    for (let i = Math.max(this.committedIndexMax + 1, s.firstIndex()); i <= hi; i++) {
      const e = s.entries(i, i + 1, Number.MAX_SAFE_INTEGER)[0]!;
      this.noteCommitted(v.id, i, e.term, entryFingerprint(e), 'has committed');
    }
  }

  private checkLeaderCompleteness(v: MemberView): void {
    const s = v.storage;
    const first = s.firstIndex();
    const lastStored = s.lastIndex();
    if (lastStored < first || s.term(lastStored) !== v.term) return; // elected log not yet followed by own entry
    const key = `${v.term}:${first}:${lastStored}:${this.committedIndexMax}`;
    if (this.completenessCheckedKey.get(v.id) === key) return;
    this.completenessCheckedKey.set(v.id, key);
    for (let i = first - 1; i <= this.committedIndexMax; i++) {
      const c = this.committed.get(i);
      const u = this.commitTerm.get(i);
      if (c === undefined || u === undefined || u >= v.term) continue;
      if (i > lastStored) {
        this.report('LeaderCompleteness', v.id, `leader of term ${v.term} lacks entry ${i} (term ${c.term}) committed by term ${u}`);
        return;
      }
      const t = s.term(i);
      if (t !== c.term) {
        this.report('LeaderCompleteness', v.id, `leader of term ${v.term} has term ${t} at ${i}, but term ${c.term} was committed there by term ${u}`);
        return;
      }
    }
  }

  /**
   * Log Matching, directly (a cross-check of the incremental ghost above, run every few hundred
   * steps and at the end): for every pair of members, over the range both logs retain, find the
   * highest index where the terms agree; below it every entry must be identical.
   */
  checkLogsPairwise(views: readonly MemberView[]): void {
    for (let a = 0; a < views.length; a++) {
      for (let b = a + 1; b < views.length; b++) {
        const x = views[a]!.storage;
        const y = views[b]!.storage;
        const lo = Math.max(x.firstIndex(), y.firstIndex());
        let hi = Math.min(x.lastIndex(), y.lastIndex());
        while (hi >= lo && x.term(hi) !== y.term(hi)) hi--;
        if (hi < lo) continue;
        const xs = x.entries(lo, hi + 1, Number.MAX_SAFE_INTEGER);
        const ys = y.entries(lo, hi + 1, Number.MAX_SAFE_INTEGER);
        for (let i = 0; i < xs.length; i++) {
          const fx = entryFingerprint(xs[i]!);
          const fy = entryFingerprint(ys[i]!);
          if (fx !== fy) {
            this.report('LogMatching', views[a]!.id, `n${views[a]!.id} and n${views[b]!.id} agree on term at ${hi} but differ at ${lo + i}: ${fx} vs ${fy}`);
            return;
          }
        }
      }
    }
  }

  /**
   * Committed entries survive crashes: the latest committed entry must be on the durable disks of
   * enough voters that every quorum of the current configuration includes one of them; otherwise a
   * crash of the others could elect a leader without it. (One-at-a-time membership changes keep this
   * true across a change.)
   */
  checkDurability(durable: ReadonlyMap<NodeId, MemoryStorage>, config: ConfState): void {
    const c = this.committed.get(this.committedIndexMax);
    if (c === undefined || config.voters.length === 0) return;
    const i = this.committedIndexMax;
    let holders = 0;
    for (const id of config.voters) {
      const d = durable.get(id);
      if (d === undefined) continue;
      const snapIndex = d.snapshot().metadata.index;
      if (snapIndex >= i || (i <= d.lastIndex() && i >= d.firstIndex() && d.term(i) === c.term)) holders++;
    }
    const n = config.voters.length;
    const majority = Math.floor(n / 2) + 1;
    if (holders < n - majority + 1) {
      this.report('CommittedLost', undefined, `committed entry ${i} (term ${c.term}) is durable on only ${holders} of voters [${config.voters.join(',')}]`);
    }
  }

  /**
   * ReadIndex reads are never stale (thesis §6.4): a read invoked after a write to its key was
   * acknowledged observes that write or a later one; its revision is at least that of every write
   * acknowledged before it began. (After a delete, absent is the answer; the revision bound still holds.)
   */
  onWriteAck(key: string, revision: number, deleted = false): void {
    if (revision > (this.ackedRevisionByKey.get(key)?.revision ?? 0)) this.ackedRevisionByKey.set(key, { revision, deleted });
    if (revision > this.ackedRevisionMax) this.ackedRevisionMax = revision;
  }

  onReadInvoke(opId: number, key: string): void {
    // After an acknowledged delete the key may be absent (modRevision 0): only the store revision is bounded.
    const last = this.ackedRevisionByKey.get(key);
    this.readFloors.set(opId, { key, modRevisionMin: last === undefined || last.deleted ? 0 : last.revision, revisionMin: this.ackedRevisionMax });
  }

  onReadReturn(opId: number, nodeId: NodeId, modRevision: number, revision: number): void {
    const floor = this.readFloors.get(opId);
    this.readFloors.delete(opId);
    if (floor === undefined) return;
    // Absent at a revision past the floor is a later delete, not a stale read.
    const deletedSince = modRevision === 0 && revision > floor.modRevisionMin;
    if ((modRevision < floor.modRevisionMin && !deletedSince) || revision < floor.revisionMin) {
      this.report(
        'StaleRead',
        nodeId,
        `read of ${floor.key} (op ${opId}) saw modRevision ${modRevision} at revision ${revision}; writes acknowledged before it reached modRevision ${floor.modRevisionMin}, revision ${floor.revisionMin}`,
      );
    }
  }

  onReadAbandoned(opId: number): void {
    this.readFloors.delete(opId);
  }

  stats(): { leadersSeen: number; committedIndexMax: number } {
    return { leadersSeen: this.leaderOfTerm.size, committedIndexMax: this.committedIndexMax };
  }
}
