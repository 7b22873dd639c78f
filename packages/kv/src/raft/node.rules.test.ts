// Raft rules of RaftNode's inputs that the scenario tests (paper.test.ts, transcripts) did not pin down,
// found by mutation testing (`pnpm mutate packages/kv/src/raft/node.ts`, docs/testing.md). Each test names
// the rule; each drives the real node through its public inputs and reads only its outputs (messages,
// Ready, status).
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../util/rng.ts';
import { drainReadies, Harness } from './harness.testutil.ts';
import { type RaftConfig, RaftNode } from './node.ts';
import { MemoryStorage } from './storage.ts';
import { type Entry, type Message, NONE, RaftError } from './types.ts';
import { thrownBy } from '../util/thrown.testutil.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A node of a {1,2,3} cluster with its own storage, persisted and drained by `drain`. */
function standalone(id = 1, cfg: Partial<Omit<RaftConfig, 'id' | 'storage' | 'rng'>> = {}, storage = new MemoryStorage({ voters: [1, 2, 3], learners: [] })): { node: RaftNode; storage: MemoryStorage } {
  const node = new RaftNode({ electionTicks: 10, heartbeatTicks: 1, ...cfg, id, storage, rng: new SeededRng(id) });
  return { node, storage };
}

/** Persists every pending Ready as the Ready contract says and returns the messages it carried. */
function drain(n: { node: RaftNode; storage: MemoryStorage }): Message[] {
  const out: Message[] = [];
  drainReadies(n.node, (rd) => {
    if (rd.snapshot !== undefined) n.storage.applySnapshot(rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    out.push(...rd.messages);
    n.node.advance();
  });
  return out;
}

/** Node 1 as leader of {1,2,3} at term 1 (votes stepped in by hand), its first entry sent to both followers. */
function leaderOf3(cfg: Partial<Omit<RaftConfig, 'id' | 'storage' | 'rng'>> = {}): { node: RaftNode; storage: MemoryStorage } {
  const n = standalone(1, { preVote: false, checkQuorum: false, ...cfg });
  n.node.campaign();
  drain(n);
  n.node.step({ type: 'voteResponse', from: 2, to: 1, term: 1, reject: false });
  drain(n);
  expect(n.node.status().role).toBe('leader');
  return n;
}

/** Leader 1 of {1,2,3} has compacted its log past what follower 3 (cut off meanwhile) holds. */
function followerBehindCompaction(opts: ConstructorParameters<typeof Harness>[1]): { h: Harness; snapIndex: number } {
  const h = new Harness([1, 2, 3], opts);
  h.elect(1);
  h.isolate(3);
  for (let i = 0; i < 5; i++) h.propose(1, `v${i}`);
  return { h, snapIndex: h.compactLog(1) };
}

describe('configuration is validated at construction', () => {
  const make = (cfg: Partial<RaftConfig> & { id?: number }) => () => new RaftNode({ id: 1, storage: new MemoryStorage({ voters: [1], learners: [] }), rng: new SeededRng(1), ...cfg });

  it('a node id is a positive safe integer', () => {
    for (const id of [0, -1, 1.5]) expect(make({ id }), `id ${id}`).toThrow(/node id must be a positive integer, got/);
    expect(make({ id: 7 })).not.toThrow();
  });

  it('heartbeatTicks > 0 and electionTicks > heartbeatTicks (§5.2: followers must hear a heartbeat before they time out)', () => {
    expect(make({ heartbeatTicks: 0, electionTicks: 10 })).toThrow(/electionTicks must exceed heartbeatTicks/);
    expect(make({ heartbeatTicks: 3, electionTicks: 3 })).toThrow(/electionTicks must exceed heartbeatTicks/);
    expect(make({ heartbeatTicks: 3, electionTicks: 4 })).not.toThrow();
  });

  it('maxReadsBeforeCommit is a positive integer', () => {
    for (const n of [0, 1.5]) expect(make({ maxReadsBeforeCommit: n }), `${n}`).toThrow(/maxReadsBeforeCommit must be a positive integer/);
    expect(make({ maxReadsBeforeCommit: 1 })).not.toThrow();
  });
});

describe('restart', () => {
  /** A log whose first entry adds voter 4 to {1,2,3}; the node restarts having applied `applied` entries. */
  function restarted(applied: number): RaftNode {
    const storage = new MemoryStorage({ voters: [1, 2, 3], learners: [] });
    const entries: Entry[] = [
      { type: 'confChange', term: 1, index: 1, change: { type: 'addVoter', nodeId: 4 } },
      { type: 'normal', term: 1, index: 2, data: enc('x') },
    ];
    storage.append(entries);
    storage.setHardState({ term: 1, vote: 1, commit: 2 });
    return standalone(1, { applied }, storage).node;
  }

  it('membership is the snapshot configuration plus every change up to the applied index, not the committed one (changes take effect on apply, thesis §4.1)', () => {
    expect(restarted(1).status().confState.voters).toEqual([1, 2, 3, 4]);
    expect(restarted(2).status().confState.voters).toEqual([1, 2, 3, 4]);
    expect(restarted(0).status().confState.voters).toEqual([1, 2, 3]);
  });

  it('a freshly started node has nothing to hand out: its soft and hard state are what storage already holds', () => {
    const { node } = standalone();
    expect(node.hasReady()).toBe(false);
  });
});

describe('step: messages not for us, and messages from older terms', () => {
  it('a message addressed to another node is ignored', () => {
    const n = standalone(1);
    n.node.step({ type: 'append', from: 2, to: 3, term: 5, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [] });
    expect(n.node.status().term).toBe(0);
    expect(drain(n)).toEqual([]);
  });

  it('with CheckQuorum or PreVote, an append or heartbeat from an older term is answered with our term so the stale leader steps down (etcd raft: "stale leader learns the new term")', () => {
    for (const cfg of [{ checkQuorum: true, preVote: false }, { checkQuorum: false, preVote: true }]) {
      const n = standalone(1, cfg);
      n.node.step({ type: 'heartbeat', from: 2, to: 1, term: 5, commit: 0, context: 0 });
      drain(n);
      n.node.step({ type: 'append', from: 3, to: 1, term: 4, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [] });
      n.node.step({ type: 'heartbeat', from: 3, to: 1, term: 4, commit: 0, context: 0 });
      const sent = drain(n);
      expect(sent.map((m) => `${m.type} ${m.to} term=${m.term}`), JSON.stringify(cfg)).toEqual(['appendResponse 3 term=5', 'appendResponse 3 term=5']);
      expect(n.node.status()).toMatchObject({ term: 5, leaderId: 2 });
    }
  });

  it('without CheckQuorum and PreVote, an older-term append is dropped unanswered (§5.1: stale requests are rejected)', () => {
    const n = standalone(1, { checkQuorum: false, preVote: false });
    n.node.step({ type: 'heartbeat', from: 2, to: 1, term: 5, commit: 0, context: 0 });
    drain(n);
    n.node.step({ type: 'append', from: 3, to: 1, term: 4, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [] });
    expect(drain(n)).toEqual([]);
  });

  it('a PreVote from an older term is rejected at our term; other older-term messages change nothing', () => {
    const n = standalone(1, { checkQuorum: false, preVote: true });
    n.node.step({ type: 'heartbeat', from: 2, to: 1, term: 5, commit: 0, context: 0 });
    drain(n);
    n.node.step({ type: 'preVote', from: 3, to: 1, term: 4, lastLogIndex: 9, lastLogTerm: 4 });
    n.node.step({ type: 'vote', from: 3, to: 1, term: 4, lastLogIndex: 9, lastLogTerm: 4, transfer: false });
    n.node.step({ type: 'appendResponse', from: 3, to: 1, term: 4, reject: false, index: 0, rejectHint: 0, logTerm: 0 });
    expect(drain(n).map((m) => (m.type === 'preVoteResponse' ? `${m.type} ${m.to} term=${m.term} reject=${m.reject}` : m.type))).toEqual(['preVoteResponse 3 term=5 reject=true']);
    expect(n.node.status()).toMatchObject({ term: 5, vote: NONE, leaderId: 2 });
  });

  it('a stale vote response does not count toward a later election (§5.1)', () => {
    const n = standalone(1, { checkQuorum: false, preVote: false });
    n.node.campaign(); // term 1
    drain(n);
    n.node.tick();
    for (let i = 0; i < 30 && n.node.status().term < 2; i++) n.node.tick(); // times out: term 2
    drain(n);
    expect(n.node.status()).toMatchObject({ role: 'candidate', term: 2 });
    n.node.step({ type: 'voteResponse', from: 2, to: 1, term: 1, reject: false });
    expect(n.node.status().role).toBe('candidate');
    n.node.step({ type: 'voteResponse', from: 2, to: 1, term: 2, reject: false });
    expect(n.node.status().role).toBe('leader');
  });
});

describe('leader stickiness (thesis §4.2.3, with CheckQuorum)', () => {
  /** Node 2 of {1,2,3}, following leader 1 at term 1 and hearing from it within the election timeout. */
  function follower(): { node: RaftNode; storage: MemoryStorage } {
    const n = standalone(2, { checkQuorum: true, preVote: false });
    n.node.step({ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 0, context: 0 });
    drain(n);
    return n;
  }

  it('a vote or PreVote request for a higher term is ignored while we hear from a leader', () => {
    const n = follower();
    n.node.step({ type: 'vote', from: 3, to: 2, term: 2, lastLogIndex: 5, lastLogTerm: 1, transfer: false });
    n.node.step({ type: 'preVote', from: 3, to: 2, term: 2, lastLogIndex: 5, lastLogTerm: 1 });
    expect(drain(n)).toEqual([]);
    expect(n.node.status()).toMatchObject({ term: 1, vote: NONE, leaderId: 1 });
  });

  it('a leadership transfer\'s vote request is not ignored: the old leader asked for it', () => {
    const n = follower();
    n.node.step({ type: 'vote', from: 3, to: 2, term: 2, lastLogIndex: 5, lastLogTerm: 1, transfer: true });
    expect(drain(n).map((m) => `${m.type} term=${m.term}${m.type === 'voteResponse' && m.reject ? ' reject' : ''}`)).toEqual(['voteResponse term=2']);
    expect(n.node.status()).toMatchObject({ term: 2, vote: 3 });
  });

  it('an append of a higher term is still obeyed while in lease: stickiness only holds off candidates', () => {
    const n = follower();
    n.node.step({ type: 'append', from: 3, to: 2, term: 2, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [] });
    expect(n.node.status()).toMatchObject({ term: 2, leaderId: 3 });
  });

  it('without CheckQuorum there is no stickiness: a higher-term vote request is heard at once', () => {
    const n = standalone(2, { checkQuorum: false, preVote: false });
    n.node.step({ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 0, context: 0 });
    drain(n);
    n.node.step({ type: 'vote', from: 3, to: 2, term: 2, lastLogIndex: 5, lastLogTerm: 1, transfer: false });
    expect(n.node.status()).toMatchObject({ term: 2, vote: 3 });
  });

  it('once an election timeout passes without the leader, a higher-term vote is granted', () => {
    const n = follower();
    for (let i = 0; i < 10; i++) n.node.tick();
    drain(n);
    n.node.step({ type: 'vote', from: 3, to: 2, term: 5, lastLogIndex: 5, lastLogTerm: 1, transfer: false });
    expect(n.node.status()).toMatchObject({ term: 5, vote: 3 });
  });
});

describe('proposals from any member (forwardProposal)', () => {
  it('the leader appends the proposal; a follower forwards it to the leader, which appends it; with no leader it is dropped', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.get(1).forwardProposal(enc('from-leader'));
    h.stabilize();
    h.get(2).forwardProposal(enc('from-follower'));
    h.stabilize();
    expect(h.appliedTexts(3)).toEqual(['from-leader', 'from-follower']);
    expect(h.delivered.filter((m) => m.type === 'propose').map((m) => `${m.from}->${m.to} term=${m.term}`)).toEqual(['2->1 term=1']);

    const alone = standalone(1);
    const err = thrownBy(() => alone.node.forwardProposal(enc('x')));
    expect(err).toBeInstanceOf(RaftError);
    expect((err as RaftError).code).toBe('ProposalDropped');
    expect((err as RaftError).message).toBe('no leader to forward the proposal to');
  });
});

describe('reads and transfers asked of the wrong node', () => {
  it('a follower that knows no leader refuses a read index with NotLeader', () => {
    const n = standalone(1);
    const err = thrownBy(() => n.node.readIndex('r1'));
    expect((err as RaftError).code).toBe('NotLeader');
    expect((err as RaftError).message).toBe('no leader to confirm a read index');
    expect(drain(n)).toEqual([]);
  });

  it('transfer to self is a no-op; a transfer to a lagging voter sends it an append at once, a repeated one nothing more; a non-voter target is refused by what it is', () => {
    const n = leaderOf3();
    // Follower 2 acknowledged index 1 (replicate); index 2 is in flight to it.
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 1, reject: false, index: 1, rejectHint: 0, logTerm: 0 });
    n.node.propose(enc('x'));
    drain(n);
    n.node.transferLeadership(1);
    expect(drain(n)).toEqual([]);
    n.node.transferLeadership(2);
    expect(drain(n).map((m) => (m.type === 'append' ? `append ${m.to} prev=${m.prevLogIndex} entries=${m.entries.length}` : m.type))).toEqual(['append 2 prev=2 entries=0']);
    n.node.transferLeadership(2);
    expect(drain(n)).toEqual([]);
    const err = thrownBy(() => n.node.transferLeadership(9));
    expect((err as RaftError).code).toBe('TransferTargetNotVoter');
    expect((err as RaftError).message).toMatch(/not a member/);
  });
});

describe('campaign', () => {
  it('a node that is not a voter does not campaign', () => {
    const n = standalone(4);
    n.node.campaign();
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 0 });
    expect(drain(n)).toEqual([]);
  });
});

describe('reportUnreachable and reportSnapshot', () => {
  it('an unreachable follower in replicate state falls back to probe (its pipelined appends are probably lost); unknown ids and non-leaders ignore it', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.propose(1, 'x');
    expect(h.get(1).status().progress.get(2)?.state).toBe('replicate');
    h.get(1).reportUnreachable(2);
    expect(h.get(1).status().progress.get(2)?.state).toBe('probe');
    h.get(1).reportUnreachable(2); // already probing: stays
    expect(h.get(1).status().progress.get(2)?.state).toBe('probe');
    expect(() => h.get(1).reportUnreachable(9)).not.toThrow();
    expect(() => h.get(2).reportUnreachable(3)).not.toThrow();
    expect(h.get(1).status().progress.get(3)?.state).toBe('replicate');
  });
});

describe('reportSnapshot (§7: the application tells the leader how sending a snapshot went)', () => {
  /** Leader 1 whose follower 3 needs the snapshot at `snapIndex`; every snapshot message is dropped. */
  function snapshotPending(): { h: Harness; snapIndex: number } {
    const { h, snapIndex } = followerBehindCompaction({});
    h.filter = (m) => m.type !== 'snapshot';
    h.tickAll(2);
    expect(h.get(1).status().progress.get(3)).toMatchObject({ state: 'snapshot', match: 1 });
    return { h, snapIndex };
  }

  it('delivered: the follower is probed from just past the snapshot, and not before it answers', () => {
    const { h, snapIndex } = snapshotPending();
    h.get(1).reportSnapshot(3, true);
    expect(h.get(1).status().progress.get(3)).toMatchObject({ state: 'probe', next: snapIndex + 1 });
    const to3: Message[] = [];
    h.filter = (m) => {
      if (m.to === 3) to3.push(m);
      return false;
    };
    h.get(1).propose(enc('y'));
    h.stabilize();
    // paused: the proposal went to 2 but nothing was sent to 3
    expect(to3).toEqual([]);
  });

  it('failed: the follower is probed from its match index again, so the next probe finds it still needs the snapshot', () => {
    const { h } = snapshotPending();
    h.get(1).reportSnapshot(3, false);
    expect(h.get(1).status().progress.get(3)).toMatchObject({ state: 'probe', next: 2 });
  });

  it('an unreachable report does not abandon a snapshot in flight (only a replicating follower falls back to probe)', () => {
    const { h } = snapshotPending();
    h.get(1).reportUnreachable(3);
    expect(h.get(1).status().progress.get(3)?.state).toBe('snapshot');
  });

  it('ignored when the follower is not waiting for a snapshot, for an unknown id, or on a non-leader', () => {
    const { h } = snapshotPending();
    h.get(1).reportSnapshot(2, false);
    expect(h.get(1).status().progress.get(2)?.state).toBe('replicate');
    expect(() => h.get(1).reportSnapshot(9, true)).not.toThrow();
    h.get(2).reportSnapshot(3, false);
    expect(h.get(1).status().progress.get(3)?.state).toBe('snapshot');
  });
});

describe('the Ready contract (types.ts): what ready() hands out and when', () => {
  it('hands out soft state, hard state and messages only when they changed, once per advance()', () => {
    const n = standalone(1, { preVote: false });
    n.node.campaign();
    expect(n.node.hasReady()).toBe(true);
    const rd = n.node.ready();
    expect(rd.softState).toEqual({ leaderId: NONE, role: 'candidate' });
    expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
    expect(rd.messages.map((m) => `${m.type} ${m.to}`)).toEqual(['vote 2', 'vote 3']);
    // Nothing more until the handout is acknowledged, and it cannot be taken twice.
    expect(n.node.hasReady()).toBe(false);
    expect(() => n.node.ready()).toThrow(/ready\(\) called again before advance\(\)/);
    n.node.advance();
    expect(n.node.hasReady()).toBe(false);
    expect(() => n.node.advance()).toThrow(/advance\(\) without a ready\(\)/);
    // A change of hard state alone (a vote) makes a Ready without soft state.
    n.node.step({ type: 'voteResponse', from: 2, to: 1, term: 1, reject: true });
    n.node.step({ type: 'voteResponse', from: 3, to: 1, term: 1, reject: true });
    // The loss alone (a role change: no message, no new term or vote) makes a Ready.
    expect(n.node.hasReady()).toBe(true);
    const lost = n.node.ready();
    expect(lost.softState).toEqual({ leaderId: NONE, role: 'follower' });
    expect(lost.hardState).toBeUndefined();
    n.node.advance();
  });

  it('a step-down within the same term keeps the vote; a higher term clears it (§5.2: one vote per term)', () => {
    const n = standalone(1, { preVote: false });
    n.node.campaign();
    drain(n);
    n.node.step({ type: 'voteResponse', from: 2, to: 1, term: 1, reject: true });
    n.node.step({ type: 'voteResponse', from: 3, to: 1, term: 1, reject: true });
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 1, vote: 1 });
    n.node.step({ type: 'heartbeat', from: 2, to: 1, term: 2, commit: 0, context: 0 });
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 2, vote: NONE, leaderId: 2 });
  });

  it('a pre-candidate keeps its term and vote (thesis §9.6)', () => {
    const n = standalone(1, { preVote: true });
    n.node.campaign();
    const rd = n.node.ready();
    expect(rd.hardState).toBeUndefined();
    expect(rd.softState).toEqual({ leaderId: NONE, role: 'preCandidate' });
    expect(rd.messages.map((m) => `${m.type} term=${m.term}`)).toEqual(['preVote term=1', 'preVote term=1']);
    n.node.advance();
    expect(n.node.status()).toMatchObject({ term: 0, vote: NONE });
  });

  it('a single voter commits its entry only once the entry is durable, i.e. after the Ready that carried it is advanced', () => {
    const n = standalone(1, {}, new MemoryStorage({ voters: [1], learners: [] }));
    n.node.campaign();
    drain(n);
    expect(n.node.status()).toMatchObject({ role: 'leader', commit: 1 });
    n.node.propose(enc('x'));
    const rd = n.node.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    expect(rd.committedEntries).toEqual([]);
    expect(rd.hardState).toBeUndefined();
    n.storage.append(rd.entries);
    n.node.advance();
    expect(n.node.hasReady()).toBe(true);
    const next = n.node.ready();
    expect(next.committedEntries.map((e) => e.index)).toEqual([2]);
    expect(next.hardState).toEqual({ term: 1, vote: 1, commit: 2 });
    n.node.advance();
    expect(n.node.status()).toMatchObject({ commit: 2, applied: 2 });
    expect(n.node.hasReady()).toBe(false);
  });

  it('nothing of a pending snapshot\'s log counts as durable: a leader elected before its snapshot is persisted counts none of its own log', () => {
    // Node 2 installs a snapshot at index 10 (term 1) and wins an election at term 2 before the caller has
    // persisted that snapshot. Its own copy may count toward a majority only once it is on disk (the
    // Ready contract; etcd raft counts the leader's own entries only after MsgStorageAppendResp): until
    // the Ready carrying the snapshot is advanced, its own match is 0, not the snapshot's index.
    const n = standalone(2, { preVote: false, checkQuorum: false });
    const snapshot = { metadata: { index: 10, term: 1, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array([10]) };
    n.node.step({ type: 'snapshot', from: 1, to: 2, term: 1, snapshot });
    n.node.campaign();
    n.node.step({ type: 'voteResponse', from: 3, to: 2, term: 2, reject: false });
    expect(n.node.status()).toMatchObject({ role: 'leader', term: 2, commit: 10, lastIndex: 11 });
    expect(n.node.status().progress.get(2)).toEqual({ match: 0, next: 11, state: 'replicate' });
    const rd = n.node.ready();
    expect(rd.snapshot?.metadata.index).toBe(10);
    expect(rd.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['11/2']);
    n.storage.applySnapshot(rd.snapshot!);
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    n.node.advance();
    // Persisted now: the snapshot and the new term's empty entry count.
    expect(n.node.status().progress.get(2)).toEqual({ match: 11, next: 12, state: 'replicate' });
  });

  it('a new term alone, with nothing to send, makes a Ready: the hard state must be persisted (§5.1, figure 2)', () => {
    // A stale vote answer of a higher term: the follower takes the term, knows no leader, answers nothing.
    const n = standalone(1, { preVote: false, checkQuorum: false });
    n.node.step({ type: 'voteResponse', from: 3, to: 1, term: 2, reject: true });
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 2, leaderId: NONE });
    expect(n.node.hasReady()).toBe(true);
    const rd = n.node.ready();
    expect(rd).toMatchObject({ hardState: { term: 2, vote: NONE, commit: 0 }, messages: [], entries: [] });
    expect(rd.softState).toBeUndefined();
    n.node.advance();
    expect(n.node.hasReady()).toBe(false);
  });

  it('soft state is handed out when the leader changes even if the role does not, and not again while nothing changed', () => {
    const n = standalone(1, { preVote: false, checkQuorum: false });
    n.node.step({ type: 'heartbeat', from: 2, to: 1, term: 1, commit: 0, context: 0 });
    const first = n.node.ready();
    expect(first.softState).toEqual({ leaderId: 2, role: 'follower' });
    // A Ready carries a snapshot only when there is one to install: no key at all otherwise.
    expect('snapshot' in first).toBe(false);
    n.node.advance();
    n.node.step({ type: 'heartbeat', from: 2, to: 1, term: 1, commit: 0, context: 0 });
    const second = n.node.ready();
    expect(second.messages.map((m) => m.type)).toEqual(['heartbeatResponse']);
    expect(second.softState).toBeUndefined();
    n.node.advance();
  });

  it('the uncommitted tail is counted across Readies: persisting entries frees none of the limit, only applying them does', () => {
    // Followers never answer, so nothing commits: each drain persists the entries and calls advance().
    const n = leaderOf3({ maxUncommittedBytes: 250 });
    drain(n);
    n.node.propose(new Uint8Array(76)); // 100 bytes with the entry overhead
    drain(n);
    n.node.propose(new Uint8Array(76));
    drain(n);
    const e = thrownBy(() => n.node.propose(new Uint8Array(76)));
    expect(e).toBeInstanceOf(RaftError);
    expect((e as RaftError).code).toBe('ProposalDropped');
  });

  it('a leader that stepped down counts no acknowledgement of its leadership: advance() on a follower commits nothing and sends no append (§5.3: followers learn the commit index from the leader)', () => {
    const n = leaderOf3({ checkQuorum: true });
    drain(n);
    const { index } = n.node.propose(enc('x'));
    // Follower 2 holds the new entry before the leader has persisted it: no majority yet (1 has it only
    // in memory, 3 not at all).
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 1, reject: false, index, rejectHint: 0, logTerm: 0 });
    const commitBefore = n.node.status().commit;
    expect(commitBefore).toBeLessThan(index);
    // Two election timeouts with no answer from anyone: CheckQuorum steps the leader down, same term.
    for (let t = 0; t < 20 && n.node.status().role === 'leader'; t++) n.node.tick();
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 1 });
    // Persisting the entry now must not make the follower count its old acknowledgements. (The appends
    // the proposal queued while leading still go out, with the old commit index.)
    const sent = drain(n);
    expect(n.node.status().commit).toBe(commitBefore);
    expect(sent.filter((m) => m.type === 'append' && m.commit >= index)).toEqual([]);
  });

  it('committed entries are handed out in batches of at most maxCommittedSizePerReadyBytes (at least one entry each)', () => {
    const n = standalone(1, { maxCommittedSizePerReadyBytes: 1 }, new MemoryStorage({ voters: [1], learners: [] }));
    n.node.campaign();
    drain(n);
    for (const t of ['a', 'b', 'c']) n.node.propose(enc(t));
    const batches: number[][] = [];
    drainReadies(n.node, (rd) => {
      n.storage.append(rd.entries);
      if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
      if (rd.committedEntries.length > 0) batches.push(rd.committedEntries.map((e) => e.index));
      n.node.advance();
    });
    expect(batches).toEqual([[2], [3], [4]]);
  });

  it('a read answered locally alone makes a Ready (readStates)', () => {
    const n = standalone(1, {}, new MemoryStorage({ voters: [1], learners: [] }));
    n.node.campaign();
    drain(n);
    n.node.readIndex('r1');
    expect(n.node.hasReady()).toBe(true);
    const rd = n.node.ready();
    expect(rd.readStates).toEqual([{ requestId: 'r1', index: 1 }]);
    expect(rd.messages).toEqual([]);
    n.node.advance();
  });

  it('status reports replication progress on the leader only', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.propose(1, 'x');
    expect([...h.get(1).status().progress.entries()]).toEqual([
      [1, { match: 2, next: 3, state: 'replicate' }],
      [2, { match: 2, next: 3, state: 'replicate' }],
      [3, { match: 2, next: 3, state: 'replicate' }],
    ]);
    expect(h.get(2).status().progress.size).toBe(0);
    expect(h.get(2).status()).toMatchObject({ firstIndex: 1, lastIndex: 2, commit: 2, applied: 2 });
  });
});

describe('stepping down restarts the election timer (§5.2), except for a vote request', () => {
  it('a leader deposed by a higher-term response waits a full election timeout before it campaigns', () => {
    const n = leaderOf3();
    for (let i = 0; i < 9; i++) n.node.tick();
    drain(n);
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 5, reject: false, index: 1, rejectHint: 0, logTerm: 0 });
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 5 });
    for (let i = 0; i < 9; i++) n.node.tick();
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 5 });
  });
});

describe('refusals say why', () => {
  it('ConfChangeInProgress names the pending change; TransferTargetNotVoter says the target is a learner', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.get(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
    expect(() => h.get(1).proposeConfChange({ type: 'addLearner', nodeId: 5 })).toThrow(/configuration change at 2 is not yet applied \(applied 1\)/);
    h.stabilize();
    expect(() => h.get(1).transferLeadership(4)).toThrow(/cannot transfer leadership to node 4: it is a learner, only a voter can lead/);
  });

  it('ReadQueueFull says which queue is full', () => {
    const n = leaderOf3({ maxReadsBeforeCommit: 1 });
    n.node.readIndex('early');
    expect(() => n.node.readIndex('early2')).toThrow(/the leader holds its limit of pending reads \(0 awaiting a heartbeat round, 1 awaiting its first commit\)/);
  });
});

describe('elections: who campaigns, when, and who may vote', () => {
  it('campaign() on a leader is a no-op', () => {
    const n = leaderOf3();
    expect(() => n.node.campaign()).not.toThrow();
    expect(n.node.status()).toMatchObject({ role: 'leader', term: 1 });
  });

  /** Node 1 restarted with entries 1..3 committed at term 1 and only `applied` of them applied. */
  function withUnapplied(entries: Entry[], applied: number): RaftNode {
    const storage = new MemoryStorage({ voters: [1, 2, 3], learners: [] });
    storage.append(entries);
    storage.setHardState({ term: 1, vote: 0, commit: entries.length });
    return standalone(1, { applied, preVote: false }, storage).node;
  }

  it('committed but unapplied normal entries do not hold back a campaign; an unapplied configuration change among them does (etcd raft hup)', () => {
    const normal = (index: number): Entry => ({ type: 'normal', term: 1, index, data: enc('x') });
    const plain = withUnapplied([normal(1), normal(2), normal(3)], 1);
    plain.campaign();
    expect(plain.status()).toMatchObject({ role: 'candidate', term: 2 });
    const withChange = withUnapplied([normal(1), normal(2), { type: 'confChange', term: 1, index: 3, change: { type: 'addLearner', nodeId: 4 } }], 1);
    withChange.campaign();
    expect(withChange.status()).toMatchObject({ role: 'follower', term: 1 });
  });

  it('a follower campaigns when its randomized timeout, drawn from [electionTicks, 2·electionTicks), expires — at that tick, not later', () => {
    const firstCampaign: number[] = [];
    for (let id = 1; id <= 40; id++) {
      const n = standalone(id, { preVote: false }, new MemoryStorage({ voters: Array.from({ length: 40 }, (_, i) => i + 1), learners: [] }));
      let t = 0;
      while (n.node.status().role === 'follower' && t < 100) {
        n.node.tick();
        t++;
      }
      firstCampaign.push(t);
    }
    expect(Math.min(...firstCampaign)).toBe(10);
    expect(Math.max(...firstCampaign)).toBe(19);
  });

  it('CheckQuorum: a leader that hears from no majority for a whole election timeout steps down at its end, not a tick later', () => {
    const n = leaderOf3({ checkQuorum: true });
    // The first election timeout counts everyone active (a new leader assumes so); the second does not.
    for (let i = 0; i < 19; i++) n.node.tick();
    expect(n.node.status().role).toBe('leader');
    n.node.tick();
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 1 });
  });

  it('without CheckQuorum a leader never steps down for silence', () => {
    const n = leaderOf3({ checkQuorum: false });
    for (let i = 0; i < 60; i++) n.node.tick();
    expect(n.node.status().role).toBe('leader');
  });

  it('a leadership transfer not done within an election timeout is abandoned, and proposals are taken again (thesis §3.10)', () => {
    const n = leaderOf3();
    n.node.transferLeadership(2);
    drain(n);
    expect((thrownBy(() => n.node.propose(enc('x'))) as RaftError).code).toBe('ProposalDropped');
    for (let i = 0; i < 9; i++) n.node.tick();
    expect((thrownBy(() => n.node.propose(enc('x'))) as RaftError).code).toBe('ProposalDropped');
    n.node.tick();
    expect(n.node.propose(enc('x')).index).toBe(2);
  });

  it('heartbeats go out every heartbeatTicks ticks', () => {
    const n = leaderOf3({ heartbeatTicks: 3 });
    drain(n);
    const beats: number[] = [];
    for (let t = 1; t <= 9; t++) {
      n.node.tick();
      if (drain(n).some((m) => m.type === 'heartbeat')) beats.push(t);
    }
    expect(beats).toEqual([3, 6, 9]);
  });

  it('a vote request is granted again to the candidate already voted for (a retransmission), and refused to another (§5.2)', () => {
    const n = standalone(1, { preVote: false, checkQuorum: false });
    const ask = (from: number) => {
      n.node.step({ type: 'vote', from, to: 1, term: 1, lastLogIndex: 0, lastLogTerm: 0, transfer: false });
      return drain(n).map((m) => (m.type === 'voteResponse' ? `${m.to}:${m.reject ? 'reject' : 'grant'}` : m.type));
    };
    expect(ask(2)).toEqual(['2:grant']);
    expect(ask(2)).toEqual(['2:grant']);
    expect(ask(3)).toEqual(['3:reject']);
  });

  it('a node that knows this term\'s leader refuses votes and PreVotes of this term, though it has not voted', () => {
    const n = standalone(1, { preVote: true, checkQuorum: false });
    n.node.step({ type: 'append', from: 2, to: 1, term: 1, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [] });
    drain(n);
    n.node.step({ type: 'vote', from: 3, to: 1, term: 1, lastLogIndex: 5, lastLogTerm: 1, transfer: false });
    n.node.step({ type: 'preVote', from: 3, to: 1, term: 1, lastLogIndex: 5, lastLogTerm: 1 });
    expect(drain(n).map((m) => `${m.type}${'reject' in m && m.reject ? ' reject' : ''}`)).toEqual(['voteResponse reject', 'preVoteResponse reject']);
    expect(n.node.status()).toMatchObject({ vote: NONE, leaderId: 2 });
  });

  it('a pre-candidate ignores vote responses, and a candidate PreVote responses: each counts only its own round', () => {
    const pre = standalone(1, { preVote: true, checkQuorum: false });
    pre.node.campaign();
    drain(pre);
    expect(() => pre.node.step({ type: 'voteResponse', from: 2, to: 1, term: 0, reject: false })).not.toThrow();
    expect(pre.node.status().role).toBe('preCandidate');
    const cand = standalone(1, { preVote: false, checkQuorum: false });
    cand.node.campaign();
    drain(cand);
    cand.node.step({ type: 'preVoteResponse', from: 2, to: 1, term: 1, reject: false });
    expect(cand.node.status().role).toBe('candidate');
  });

  it('a candidate that receives a heartbeat or a snapshot from a leader of its term becomes its follower (§5.2)', () => {
    const a = standalone(1, { preVote: false });
    a.node.campaign();
    drain(a);
    a.node.step({ type: 'heartbeat', from: 2, to: 1, term: 1, commit: 0, context: 0 });
    expect(a.node.status()).toMatchObject({ role: 'follower', term: 1, leaderId: 2 });
    const b = standalone(1, { preVote: false });
    b.node.campaign();
    drain(b);
    b.node.step({ type: 'snapshot', from: 3, to: 1, term: 1, snapshot: { metadata: { index: 5, term: 1, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array([1]) } });
    expect(b.node.status()).toMatchObject({ role: 'follower', term: 1, leaderId: 3, lastIndex: 5 });
    expect(drain(b).map((m) => (m.type === 'appendResponse' ? `appendResponse ${m.to} index=${m.index}` : m.type))).toEqual(['appendResponse 3 index=5']);
  });
});

describe('snapshot delivery never reported (§7)', () => {
  it('a follower waiting for a snapshot is probed again after two election timeouts, not one', () => {
    const { h } = followerBehindCompaction({ checkQuorum: false });
    let snapshotsSent = 0;
    h.filter = (m) => {
      if (m.type === 'snapshot') snapshotsSent++;
      return m.type !== 'snapshot';
    };
    h.tickAll(2); // the heartbeat answer from 3 makes the leader send the snapshot (lost)
    expect(snapshotsSent).toBe(1);
    h.tickAll(8); // the leader's first election timeout ends: still waiting
    expect(snapshotsSent).toBe(1);
    h.tickAll(10); // the second: probe again, which sends the snapshot again
    expect(snapshotsSent).toBe(2);
  });
});

describe('messages a role has no use for are ignored; a malformed one is a crash, not a silent drop', () => {
  const sameTerm = (term: number): Message[] => [
    { type: 'timeoutNow', from: 2, to: 1, term },
    { type: 'readIndex', from: 2, to: 1, term, requestId: 'r' },
    { type: 'readIndexResponse', from: 2, to: 1, term, requestId: 'r', index: 1, reject: false },
    { type: 'appendResponse', from: 2, to: 1, term, reject: false, index: 0, rejectHint: 0, logTerm: 0 },
    { type: 'heartbeatResponse', from: 2, to: 1, term, context: 0 },
    { type: 'preVoteResponse', from: 2, to: 1, term, reject: true },
    { type: 'voteResponse', from: 2, to: 1, term, reject: true },
    { type: 'propose', from: 2, to: 1, term, data: enc('x') },
  ];
  const bogus = (term: number): Message => ({ type: 'bogus', from: 2, to: 1, term }) as unknown as Message;

  it('a candidate', () => {
    const n = standalone(1, { preVote: false });
    n.node.campaign();
    drain(n);
    for (const m of sameTerm(1)) expect(() => n.node.step(m), m.type).not.toThrow();
    expect(n.node.status()).toMatchObject({ role: 'candidate', term: 1 });
    expect(() => n.node.step(bogus(1))).toThrow(/unhandled message/);
  });

  it('a follower', () => {
    const n = standalone(1, { preVote: false });
    n.node.step({ type: 'heartbeat', from: 2, to: 1, term: 1, commit: 0, context: 0 });
    drain(n);
    for (const m of sameTerm(1).filter((m) => m.type !== 'readIndex' && m.type !== 'timeoutNow' && m.type !== 'readIndexResponse')) expect(() => n.node.step(m), m.type).not.toThrow();
    expect(drain(n)).toEqual([]);
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 1, leaderId: 2 });
    expect(() => n.node.step(bogus(1))).toThrow(/unhandled message/);
  });

  it('a leader; and another leader of the same term is a broken Election Safety invariant (§5.2), so it throws', () => {
    const n = leaderOf3();
    for (const m of sameTerm(1).filter((m) => m.type === 'timeoutNow' || m.type === 'readIndexResponse' || m.type === 'preVoteResponse' || m.type === 'voteResponse')) {
      expect(() => n.node.step(m), m.type).not.toThrow();
    }
    expect(n.node.status()).toMatchObject({ role: 'leader', term: 1 });
    expect(() => n.node.step(bogus(1))).toThrow(/unhandled message/);
    for (const m of [
      { type: 'append', from: 2, to: 1, term: 1, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [] },
      { type: 'heartbeat', from: 2, to: 1, term: 1, commit: 0, context: 0 },
      { type: 'snapshot', from: 2, to: 1, term: 1, snapshot: { metadata: { index: 5, term: 1, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array(0) } },
    ] satisfies Message[]) {
      expect(() => n.node.step(m), m.type).toThrow(/two leaders in term 1: 1 and 2/);
    }
  });

  it('a node that is not a voter ignores TimeoutNow (only a voter can lead)', () => {
    const n = standalone(4);
    n.node.step({ type: 'timeoutNow', from: 1, to: 4, term: 0 });
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 0 });
  });
});

describe('snapshots a follower does not install (§7)', () => {
  const snap = (index: number, term = 1) =>
    ({ type: 'snapshot', from: 2, to: 1, term: 1, snapshot: { metadata: { index, term, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array([index]) } }) satisfies Message;
  const acks = (msgs: Message[]) => msgs.map((m) => (m.type === 'appendResponse' ? `ack ${m.index}` : m.type));

  it('a snapshot older than the commit index is acknowledged with the commit index and not installed, even below our own snapshot', () => {
    const storage = new MemoryStorage({ voters: [1, 2, 3], learners: [] });
    storage.applySnapshot({ metadata: { index: 5, term: 1, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array([5]) });
    storage.setHardState({ term: 1, vote: 0, commit: 5 });
    const n = standalone(1, { applied: 5 }, storage);
    n.node.step(snap(3));
    expect(acks(drain(n))).toEqual(['ack 5']);
    expect(n.node.status()).toMatchObject({ firstIndex: 6, lastIndex: 5, commit: 5 });
  });

  it('one snapshot at a time: a second one arriving before the first is persisted is ignored', () => {
    const n = standalone(1);
    n.node.step(snap(5));
    n.node.step(snap(8));
    expect(acks(drain(n))).toEqual(['ack 5']);
    expect(n.node.status().lastIndex).toBe(5);
    expect(n.storage.snapshot().metadata.index).toBe(5);
  });
});

describe('the leader backs off on a rejected append (§5.3, with etcd raft\'s fast backtracking)', () => {
  /** Leader 1 at term 3 over a log with terms [1,1,2,2,2] (+ its empty entry 6 at term 3). */
  function leaderOverOldLog(): { node: RaftNode; storage: MemoryStorage } {
    const storage = new MemoryStorage({ voters: [1, 2, 3], learners: [] });
    storage.append([1, 1, 2, 2, 2].map((term, i): Entry => ({ type: 'normal', term, index: i + 1, data: enc(`e${i + 1}`) })));
    storage.setHardState({ term: 2, vote: 0, commit: 0 });
    const n = standalone(1, { preVote: false, checkQuorum: false }, storage);
    n.node.campaign();
    drain(n);
    n.node.step({ type: 'voteResponse', from: 2, to: 1, term: 3, reject: false });
    drain(n);
    return n;
  }
  const probes = (msgs: Message[]) => msgs.filter((m) => m.type === 'append' && m.to === 2).map((m) => (m.type === 'append' ? `prev=${m.prevLogIndex}/${m.prevLogTerm}` : ''));

  it('a hint with the follower\'s term skips the leader\'s entries of later terms: probe at the last index whose term is ≤ it', () => {
    const n = leaderOverOldLog();
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 3, reject: true, index: 5, rejectHint: 4, logTerm: 1 });
    expect(probes(drain(n))).toEqual(['prev=2/1']);
  });

  it('a hint without a term (the follower\'s log is shorter) probes just past it', () => {
    const n = leaderOverOldLog();
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 3, reject: true, index: 5, rejectHint: 3, logTerm: 0 });
    expect(probes(drain(n))).toEqual(['prev=3/2']);
  });

  it('a follower in replicate state that rejects goes back to probe', () => {
    const n = leaderOverOldLog();
    // 2 holds entries 1..5: replicate from there; entries 6 and then 7 are pipelined to it.
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 3, reject: false, index: 5, rejectHint: 0, logTerm: 0 });
    n.node.propose(enc('x'));
    drain(n);
    expect(n.node.status().progress.get(2)?.state).toBe('replicate');
    // The append after 6 is refused (6 was lost on the way): probe again from 5.
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 3, reject: true, index: 6, rejectHint: 5, logTerm: 2 });
    expect(n.node.status().progress.get(2)?.state).toBe('probe');
    expect(probes(drain(n))).toEqual(['prev=5/2']);
  });
});

describe('the leader\'s replication duties (§5.3)', () => {
  it('a heartbeat never tells a follower to commit past what it is known to hold (etcd raft: min(match, commit))', () => {
    const n = leaderOf3();
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 1, reject: false, index: 1, rejectHint: 0, logTerm: 0 });
    drain(n);
    expect(n.node.status().commit).toBe(1);
    n.node.tick();
    const beats = drain(n).flatMap((m) => (m.type === 'heartbeat' ? [`${m.to} commit=${m.commit}`] : []));
    expect(beats).toEqual(['2 commit=1', '3 commit=0']);
  });

  it('a heartbeat answer from a follower that lacks entries gets it an append at once', () => {
    const n = leaderOf3();
    n.node.step({ type: 'heartbeatResponse', from: 3, to: 1, term: 1, context: 0 });
    expect(drain(n).map((m) => (m.type === 'append' ? `append ${m.to} prev=${m.prevLogIndex} entries=${m.entries.length}` : m.type))).toEqual(['append 3 prev=0 entries=1']);
    n.node.step({ type: 'appendResponse', from: 3, to: 1, term: 1, reject: false, index: 1, rejectHint: 0, logTerm: 0 });
    drain(n);
    n.node.step({ type: 'heartbeatResponse', from: 3, to: 1, term: 1, context: 0 });
    expect(drain(n)).toEqual([]);
  });

  it('the uncommitted tail limit frees up as entries are applied; one entry over the limit alone is TooLarge', () => {
    const n = standalone(1, { maxUncommittedBytes: 100 }, new MemoryStorage({ voters: [1], learners: [] }));
    n.node.campaign();
    drain(n);
    const data = new Uint8Array(60); // 84 bytes with the entry overhead
    n.node.propose(data);
    expect((thrownBy(() => n.node.propose(data)) as RaftError).code).toBe('ProposalDropped');
    drain(n); // persisted, committed, applied
    expect(n.node.propose(data).index).toBe(3);
    drain(n);
    expect((thrownBy(() => n.node.propose(new Uint8Array(77))) as RaftError).code).toBe('TooLarge');
    expect(n.node.propose(new Uint8Array(76)).index).toBe(4);
  });
});

describe('more leader bookkeeping', () => {
  it('a vote alone (same term, same commit) is hard state to persist before the answer goes out (§5.2, figure 2)', () => {
    const storage = new MemoryStorage({ voters: [1, 2, 3], learners: [] });
    storage.setHardState({ term: 1, vote: 0, commit: 0 });
    const n = standalone(1, { preVote: false, checkQuorum: false }, storage);
    n.node.step({ type: 'vote', from: 2, to: 1, term: 1, lastLogIndex: 0, lastLogTerm: 0, transfer: false });
    const rd = n.node.ready();
    expect(rd.hardState).toEqual({ term: 1, vote: 2, commit: 0 });
    n.node.advance();
    // So is a new term alone (no vote before it or in it).
    const m = standalone(1, { preVote: false, checkQuorum: false }, storage);
    m.node.step({ type: 'heartbeat', from: 3, to: 1, term: 2, commit: 0, context: 0 });
    expect(m.node.ready().hardState).toEqual({ term: 2, vote: 0, commit: 0 });
    m.node.advance();
  });

  it('a follower that acknowledges the snapshot is probed next, not replicated to; an acknowledgement short of the snapshot keeps it waiting', () => {
    const { h, snapIndex } = followerBehindCompaction({});
    h.filter = (m) => m.type !== 'snapshot';
    h.tickAll(2);
    const leader = h.get(1);
    leader.step({ type: 'appendResponse', from: 3, to: 1, term: 1, reject: false, index: 2, rejectHint: 0, logTerm: 0 });
    expect(leader.status().progress.get(3)?.state).toBe('snapshot');
    leader.step({ type: 'appendResponse', from: 3, to: 1, term: 1, reject: false, index: snapIndex, rejectHint: 0, logTerm: 0 });
    expect(leader.status().progress.get(3)).toMatchObject({ state: 'probe', match: snapIndex });
  });

  it('an acknowledgement that commits nothing new, from a follower that was not paused, sends nothing', () => {
    const n = leaderOf3();
    for (const from of [2, 3]) n.node.step({ type: 'appendResponse', from, to: 1, term: 1, reject: false, index: 1, rejectHint: 0, logTerm: 0 });
    n.node.propose(enc('x'));
    drain(n);
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 1, reject: false, index: 2, rejectHint: 0, logTerm: 0 });
    drain(n); // commit 2 goes out
    n.node.step({ type: 'appendResponse', from: 3, to: 1, term: 1, reject: false, index: 2, rejectHint: 0, logTerm: 0 });
    expect(drain(n)).toEqual([]);
  });

  it('TimeoutNow goes to the transferee only once it holds the whole log', () => {
    const n = leaderOf3();
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 1, reject: false, index: 1, rejectHint: 0, logTerm: 0 });
    n.node.propose(enc('x'));
    n.node.propose(enc('y'));
    drain(n);
    n.node.transferLeadership(2);
    drain(n);
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 1, reject: false, index: 2, rejectHint: 0, logTerm: 0 });
    expect(drain(n).filter((m) => m.type === 'timeoutNow')).toEqual([]);
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 1, reject: false, index: 3, rejectHint: 0, logTerm: 0 });
    expect(drain(n).filter((m) => m.type === 'timeoutNow').map((m) => m.to)).toEqual([2]);
  });

  it('a heartbeat answer from an unknown node is ignored', () => {
    const n = leaderOf3();
    expect(() => n.node.step({ type: 'heartbeatResponse', from: 9, to: 1, term: 1, context: 0 })).not.toThrow();
  });

  it('a heartbeat answer reopens the flow-control window only when it is full (a lost ack must not stall it)', () => {
    const n = leaderOf3({ maxInflightMsgs: 2 });
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 1, reject: false, index: 1, rejectHint: 0, logTerm: 0 });
    n.node.propose(enc('a')); // one append in flight to 2: the window is not full
    drain(n);
    n.node.step({ type: 'heartbeatResponse', from: 2, to: 1, term: 1, context: 0 });
    drain(n);
    for (const t of ['b', 'c']) n.node.propose(enc(t));
    const to2 = drain(n).filter((m) => m.type === 'append' && m.to === 2);
    expect(to2).toHaveLength(1); // a, b in flight: full, c waits
  });

  it('a leader stepping down drops its own pending reads without sending itself anything', () => {
    const n = leaderOf3();
    for (const from of [2, 3]) n.node.step({ type: 'appendResponse', from, to: 1, term: 1, reject: false, index: 1, rejectHint: 0, logTerm: 0 });
    drain(n);
    n.node.readIndex('mine');
    drain(n);
    n.node.step({ type: 'heartbeat', from: 2, to: 1, term: 2, commit: 1, context: 0 });
    const rd = n.node.ready();
    expect(rd.messages.filter((m) => m.to === 1)).toEqual([]);
    expect(rd.readStates).toEqual([]);
    n.node.advance();
  });

  it('proposal refusals say why', () => {
    const n = leaderOf3({ maxUncommittedBytes: 108 });
    n.node.propose(new Uint8Array(60)); // 84 bytes
    expect(n.node.propose(new Uint8Array(0)).index).toBe(3); // 84 + 24 = 108: exactly the limit
    expect(() => n.node.propose(new Uint8Array(0))).toThrow(/uncommitted tail is full \(108 bytes\)/);
    expect(() => n.node.propose(new Uint8Array(85))).toThrow(/entry of 109 bytes exceeds the uncommitted limit of 108/);
    n.node.transferLeadership(2);
    expect(() => n.node.propose(new Uint8Array(0))).toThrow(/leadership is being transferred to 2/);
    const f = standalone(2);
    expect(() => f.node.propose(enc('x'))).toThrow(/^no leader$/);
    f.node.step({ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 0, context: 0 });
    expect(() => f.node.propose(enc('x'))).toThrow(/not the leader; the leader is 1/);
  });
});

describe('a few more role rules', () => {
  it('a candidate that receives an append of its term follows and answers it as an append (entries appended)', () => {
    const n = standalone(1, { preVote: false });
    n.node.campaign();
    drain(n);
    n.node.step({ type: 'append', from: 2, to: 1, term: 1, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [{ type: 'normal', term: 1, index: 1, data: enc('x') }] });
    expect(drain(n).map((m) => (m.type === 'appendResponse' ? `appendResponse index=${m.index}` : m.type))).toEqual(['appendResponse index=1']);
    expect(n.node.status()).toMatchObject({ role: 'follower', leaderId: 2, lastIndex: 1 });
  });

  it('election timeouts do not disturb a replicating follower (only one waiting for a snapshot is timed out)', () => {
    const n = leaderOf3({ checkQuorum: false });
    n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 1, reject: false, index: 1, rejectHint: 0, logTerm: 0 });
    drain(n);
    for (let t = 0; t < 25; t++) {
      n.node.tick();
      drain(n);
      expect(n.node.status().progress.get(2)?.state, `tick ${t + 1}`).toBe('replicate');
    }
  });
});

describe('recently active followers, and members a configuration change adds or removes (etcd raft: RecentActive, switchToConfig)', () => {
  it('a snapshot is not sent to a follower not heard from since the last CheckQuorum check; it goes once the follower answers', () => {
    const { h } = followerBehindCompaction({ checkQuorum: true });
    let snapshotsSent = 0;
    const count: (m: Message) => boolean = (m) => {
      if (m.type === 'snapshot') snapshotsSent++;
      return m.type !== 'snapshot';
    };
    h.filter = count;
    h.tickAll(2); // 3 answers a heartbeat: the leader sends the snapshot (lost)
    expect(snapshotsSent).toBe(1);
    // 3 falls silent; the leader compacts past the snapshot it sent, and after two election timeouts
    // probes 3 again from just past that snapshot — entries now compacted.
    h.filter = (m) => count(m) && m.from !== 3 && m.to !== 3;
    for (let i = 0; i < 3; i++) h.propose(1, `w${i}`);
    h.compactLog(1);
    h.tickAll(25);
    h.propose(1, 'while 3 is silent'); // an append to 3 is due; it would have to be a snapshot
    expect(h.get(1).status().role).toBe('leader');
    expect(snapshotsSent).toBe(1);
    h.filter = count;
    h.tickAll(2); // heard from again: the snapshot goes
    expect(snapshotsSent).toBe(2);
  });

  it('a newly added member counts as recently active until the next CheckQuorum check, so adding it does not depose the leader at once', () => {
    const h = new Harness([1, 2, 3], { checkQuorum: true });
    h.elect(1);
    h.isolate(3);
    h.tickAll(10); // one CheckQuorum check: 3, silent since, no longer counts as active
    expect(h.get(1).status().role).toBe('leader');
    // Voter 4 never answers (it is not running): voters {1,2,3,4} need three, of which 1 and 2 answer.
    h.get(1).proposeConfChange({ type: 'addVoter', nodeId: 4 });
    h.stabilize();
    expect(h.get(1).status().confState.voters).toEqual([1, 2, 3, 4]);
    h.tickAll(10); // one CheckQuorum check: 4 still counts as active
    expect(h.get(1).status().role).toBe('leader');
    h.tickAll(10); // the next: 4 was not heard from since, so there is no quorum
    expect(h.get(1).status().role).not.toBe('leader');
  });

  it('a leadership transfer to a member the applied configuration removes is cancelled, and proposals are taken again (thesis §3.10)', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.filter = () => false;
    h.get(1).proposeConfChange({ type: 'removeNode', nodeId: 3 });
    h.get(1).transferLeadership(3);
    expect(thrownBy(() => h.get(1).propose(enc('during transfer')))).toBeInstanceOf(RaftError);
    h.isolate(3);
    h.tickAll(2); // 2 answers a heartbeat, gets the removal, and it commits and applies on the leader
    expect(h.get(1).status().confState.voters).toEqual([1, 2]);
    expect(h.get(1).status().role).toBe('leader');
    expect(thrownBy(() => h.get(1).propose(enc('after removal')))).toBeUndefined();
  });

  it('a configuration change that keeps the transferee does not cancel the transfer: proposals stay refused and the transferee takes over once caught up (thesis §3.10)', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.filter = () => false;
    h.get(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
    h.get(1).transferLeadership(3);
    h.isolate(3);
    h.tickAll(2); // 2 answers a heartbeat, gets the change, and it commits and applies on the leader
    expect(h.get(1).status().confState).toEqual({ voters: [1, 2, 3], learners: [4] });
    expect(thrownBy(() => h.get(1).propose(enc('after the change')))).toBeInstanceOf(RaftError);
    h.filter = () => true;
    h.tickAll(1); // 3 catches up and is told to campaign
    expect(h.leaders()).toEqual([3]);
  });

  it('applying a configuration change sends the leader nothing addressed to itself, even with its own newest entry not yet durable', () => {
    const n = leaderOf3();
    const ack = (index: number): void => n.node.step({ type: 'appendResponse', from: 2, to: 1, term: 1, reject: false, index, rejectHint: 0, logTerm: 0 });
    ack(1); // the leader's empty entry commits and applies, so a configuration change may be proposed
    drain(n);
    const { index } = n.node.proposeConfChange({ type: 'addLearner', nodeId: 4 });
    drain(n);
    ack(index);
    // The change is committed; a proposal joins the same Ready, so when the change applies (in advance(),
    // before the leader counts its own copy) the leader's own progress is one entry behind its log.
    n.node.propose(enc('x'));
    const sent = drain(n);
    expect(n.node.status().confState.learners).toEqual([4]);
    expect(sent.filter((m) => m.to === 1)).toEqual([]);
    expect(sent.some((m) => m.to === 4)).toBe(true);
  });
});

