// Reactive partition nemeses (Jepsen's "partition the leader", and one for configuration changes): after
// each step they look at the member the step touched and, sometimes, cut the network right in the short
// windows where bugs live. Random fault timing rarely lands there.

import type { NodeId, RaftStatus } from '@halyard/kv/raft';
import type { Rng } from '@halyard/kv/util';
import type { MemberView } from './invariants.ts';
import type { Tuning } from './profiles.ts';

/** What the nemeses may look at and do; the simulator implements it. */
export interface NemesisEnv {
  /** Partitions may be cut now (the partition fault is on and faults have not stopped). */
  partitionsOn(): boolean;
  /** Leadership transfers may be injected now. */
  transfersOn(): boolean;
  /** State machines may be made to lag now (the applylag fault is on and faults have not stopped). */
  applyLagOn(): boolean;
  /** From now until `untilMs`, each batch member `id` applies settles up to `msMax` later. */
  applyLag(id: NodeId, msMax: number, untilMs: number): void;
  nowMs(): number;
  memberIds(): NodeId[];
  status(id: NodeId): RaftStatus | undefined;
  leader(): NodeId | undefined;
  /** The configuration the cluster applied last (ghost). */
  voters(): readonly NodeId[];
  healAll(): void;
  cutLink(from: NodeId, to: NodeId): void;
  /** Ask the leader to hand its leadership to `to`; the refusal's reason, if it refused. */
  transferLeadership(from: NodeId, to: NodeId): string | undefined;
  trace(line: string): void;
}

export class Nemeses {
  /** Partitions the nemeses cut (statistics). */
  isolations = 0;
  private readonly env: NemesisEnv;
  private readonly tuning: Tuning;
  private readonly rng: Rng;
  /** Each leader's term and commit as last seen, to notice new leaders and commits. */
  private readonly leaderSeen = new Map<NodeId, { term: number; commit: number }>();
  /** The configuration nemesis acts once per change. */
  private lastConfSplitIndex = 0;
  /** The apply-lag nemesis considers each change once. */
  private lastLagIndex = 0;

  constructor(env: NemesisEnv, tuning: Tuning, rng: Rng) {
    this.env = env;
    this.tuning = tuning;
    this.rng = rng;
  }

  /**
   * The lessor's window: right after leader `id` acknowledged a lease grant or keep-alive, sometimes hand
   * its leadership to another voter or cut it off. The next leader must start each lease from no less than
   * what is left of it (etcd lessor.Promote, and Renew clearing a stale checkpoint).
   */
  afterLeaseRenewal(id: NodeId): void {
    const p = this.tuning.leaderChangeAfterLeaseRenewalProbability;
    if (p === 0 || this.env.status(id)?.role !== 'leader' || this.rng.float() >= p) return;
    const targets = this.env.voters().filter((o) => o !== id && this.env.status(o) !== undefined);
    if (this.env.transfersOn() && targets.length > 0 && (this.rng.int(2) === 0 || !this.env.partitionsOn())) {
      const to = targets[this.rng.int(targets.length)]!;
      const refused = this.env.transferLeadership(id, to);
      this.env.trace(refused === undefined ? `nemesis transfers leadership n${id} → n${to} after a lease renewal` : `nemesis transfer n${id} → n${to} refused: ${refused}`);
      return;
    }
    if (!this.env.partitionsOn()) return;
    this.env.healAll();
    for (const o of this.env.memberIds()) {
      this.env.cutLink(id, o);
      this.env.cutLink(o, id);
    }
    this.isolations++;
    this.env.trace(`nemesis isolates leader n${id} after a lease renewal`);
  }

  /** After a step, on the member it touched. */
  afterStep(v: MemberView): void {
    this.partitionLeader(v);
    this.configurationChange(v);
  }

  /**
   * Jepsen's "partition the leader": right after a member becomes leader, or right after a leader
   * advances its commit index, sometimes cut it off from everyone (healing older cuts). Those windows are
   * where the figure 8 cases live: a new leader's entries reach no one, an old-term entry is counted
   * committed and its leader vanishes before its own-term entry replicates.
   */
  private partitionLeader(v: MemberView): void {
    if (!this.env.partitionsOn() || v.role !== 'leader') return;
    const t = this.tuning;
    const prev = this.leaderSeen.get(v.id);
    const isNew = prev === undefined || prev.term !== v.term;
    const committed = !isNew && v.commit > prev.commit;
    this.leaderSeen.set(v.id, { term: v.term, commit: v.commit });
    // A leader holding entries it has not committed (a client's write just appended): cut off, the client's
    // retry lands on the next leader while the first attempt may still commit — the dedupe class.
    const appended = !isNew && !committed && v.lastIndex > v.commit;
    const p = isNew ? t.isolateNewLeaderProbability : committed ? t.isolateCommittingLeaderProbability : appended ? t.isolateAppendingLeaderProbability : 0;
    if (p === 0 || this.rng.float() >= p) return;
    this.env.healAll();
    for (const o of this.env.memberIds()) {
      this.env.cutLink(v.id, o);
      this.env.cutLink(o, v.id);
    }
    this.isolations++;
    this.env.trace(`nemesis isolates ${isNew ? 'new' : committed ? 'committing' : 'appending'} leader n${v.id} (term ${v.term}, commit ${v.commit}, last ${v.lastIndex})`);
  }

  /**
   * A member that learns of a committed configuration change it has not applied: sometimes its state
   * machine starts to lag right then (a large batch, a slow disk), so the next change commits elsewhere
   * before this member applies the first — the window the split below needs.
   */
  private lagOnUnappliedChange(v: MemberView, changeIndex: number | undefined): void {
    const t = this.tuning;
    // Not the leader: its lag would only hold back the next change (one at a time, each once applied).
    if (changeIndex === undefined || v.role === 'leader' || v.applying === true || !this.env.applyLagOn() || this.lastLagIndex >= changeIndex) return;
    this.lastLagIndex = changeIndex;
    if (this.rng.float() >= t.lagOnUnappliedConfProbability) return;
    const msMax = Math.ceil(t.applyLagMsMax / 2) + this.rng.int(Math.floor(t.applyLagMsMax / 2) + 1);
    const forMs = 1 + this.rng.int(t.applyLagDurationMsMax);
    this.env.applyLag(v.id, msMax, this.env.nowMs() + forMs);
    this.env.trace(`nemesis applylag n${v.id} ≤${msMax}ms/batch for ${forMs}ms (committed change at ${changeIndex} unapplied)`);
  }

  /**
   * Configuration changes: a change takes effect on apply, so a member holding committed changes it has
   * not applied yet counts votes and commits with an older configuration. With two or more such changes,
   * that configuration's majorities need not overlap the current one's. Right then, sometimes split the
   * members still on that configuration from the others (when each side holds a majority of its own
   * configuration, both may elect and commit), or hand the leadership to that member: either way a leader
   * may be elected under a stale configuration — the window of issue 7's bug 1.
   */
  private configurationChange(v: MemberView): void {
    const p = this.tuning.splitOnUnappliedConfProbability;
    if (!this.env.partitionsOn() || p === 0 || v.commit <= v.applied) return;
    const s = v.storage;
    const lo = Math.max(v.applied + 1, s.firstIndex());
    const hi = Math.min(v.commit, s.lastIndex());
    if (hi < lo) return;
    // One unapplied change is harmless (consecutive configurations' majorities overlap); two or more are not.
    const changes = s.entries(lo, hi + 1, Number.MAX_SAFE_INTEGER).filter((e) => e.type === 'confChange');
    const change = changes[0];
    this.lagOnUnappliedChange(v, change?.index);
    // Only while its state machine lags (an apply in flight): the window then lasts for the apply, not
    // just between two Readies.
    if (change === undefined || changes.length < 2 || v.applying !== true || this.lastConfSplitIndex >= change.index || this.rng.float() >= p) return;
    const leaderId = this.env.leader();
    // The stale side: v and just enough of its configuration's other voters for a majority of it (a vote
    // does not depend on the voter's own configuration, so any of them will do); the other side: everyone
    // else. Split only if that side holds a majority of the cluster's configuration too, so both may elect
    // and commit. A few random choices of the stale side are tried.
    const ids = this.env.memberIds();
    const staleVoters = v.voters ?? [];
    const majority = (voters: readonly NodeId[], side: readonly NodeId[]): boolean => side.filter((id) => voters.includes(id)).length > voters.length / 2;
    const others = staleVoters.filter((id) => id !== v.id && ids.includes(id));
    // The leader stays on the other side when it can, so the stale side has no leader from the start; and
    // v's partners are members whose logs are no longer than v's, so they can vote for it.
    const canVoteForV = (id: NodeId): boolean => (this.env.status(id)?.lastIndex ?? Infinity) <= v.lastIndex;
    const partners = others.filter(canVoteForV);
    const followers = partners.filter((id) => id !== leaderId);
    const needed = Math.floor(staleVoters.length / 2) + 1 - (staleVoters.includes(v.id) ? 1 : 0);
    let behind: NodeId[] | undefined;
    for (let attempt = 0; attempt < 4 && behind === undefined && needed <= partners.length; attempt++) {
      const pool = [...followers];
      const side = [v.id];
      for (let k = 0; k < needed; k++) side.push(pool.length > 0 ? pool.splice(this.rng.int(pool.length), 1)[0]! : leaderId!);
      if (majority(staleVoters, side) && majority(this.env.voters(), ids.filter((id) => !side.includes(id)))) behind = side;
    }
    // Not yet: the cluster's majority may still overlap the stale one (its second change not applied yet).
    if (behind === undefined) return;
    this.lastConfSplitIndex = change.index;
    // Sometimes the leader hands its leadership to exactly that member instead (an operator moving the leader).
    if (this.env.transfersOn() && leaderId !== undefined && leaderId !== v.id && staleVoters.includes(v.id) && this.rng.int(3) === 0) {
      const refused = this.env.transferLeadership(leaderId, v.id);
      if (refused === undefined) this.env.trace(`nemesis transfers leadership n${leaderId} → n${v.id} (holding unapplied changes from ${change.index})`);
      else this.env.trace(`nemesis transfer n${leaderId} → n${v.id} refused: ${refused}`);
      return;
    }
    const ahead = ids.filter((id) => !behind.includes(id));
    this.env.healAll();
    for (const a of behind) {
      for (const b of ahead) {
        this.env.cutLink(a, b);
        this.env.cutLink(b, a);
      }
    }
    this.isolations++;
    this.env.trace(`nemesis splits [${behind.join(',')}] (configuration before the change at ${change.index}) from [${ahead.join(',')}]`);
  }
}
