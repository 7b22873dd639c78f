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

  constructor(env: NemesisEnv, tuning: Tuning, rng: Rng) {
    this.env = env;
    this.tuning = tuning;
    this.rng = rng;
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
    const p = isNew ? t.isolateNewLeaderProbability : committed ? t.isolateCommittingLeaderProbability : 0;
    if (p === 0 || this.rng.float() >= p) return;
    this.env.healAll();
    for (const o of this.env.memberIds()) {
      this.env.cutLink(v.id, o);
      this.env.cutLink(o, v.id);
    }
    this.isolations++;
    this.env.trace(`nemesis isolates ${isNew ? 'new' : 'committing'} leader n${v.id} (term ${v.term}, commit ${v.commit})`);
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
    if (change === undefined || changes.length < 2 || this.lastConfSplitIndex >= change.index || this.rng.float() >= p) return;
    this.lastConfSplitIndex = change.index;
    // Sometimes the leader hands its leadership to exactly that member (an operator moving the leader).
    const leaderId = this.env.leader();
    if (this.env.transfersOn() && leaderId !== undefined && leaderId !== v.id && (v.voters ?? []).includes(v.id) && this.rng.int(2) === 0) {
      const refused = this.env.transferLeadership(leaderId, v.id);
      if (refused === undefined) this.env.trace(`nemesis transfers leadership n${leaderId} → n${v.id} (holding unapplied changes from ${change.index})`);
      else this.env.trace(`nemesis transfer n${leaderId} → n${v.id} refused: ${refused}`);
      return;
    }
    // The stale side: members whose applied configuration is v's; the other side: everyone else. Split only
    // if each side holds a majority of its own configuration, so both may elect and commit.
    const ids = this.env.memberIds();
    const staleVoters = v.voters ?? [];
    const key = (voters: readonly NodeId[]): string => [...voters].sort((a, b) => a - b).join(',');
    const behind = ids.filter((id) => {
      const st = this.env.status(id);
      return st !== undefined && key(st.confState.voters) === key(staleVoters);
    });
    const ahead = ids.filter((id) => !behind.includes(id));
    const majority = (voters: readonly NodeId[], side: readonly NodeId[]): boolean => side.filter((id) => voters.includes(id)).length > voters.length / 2;
    if (!majority(staleVoters, behind) || !majority(this.env.voters(), ahead)) return;
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
