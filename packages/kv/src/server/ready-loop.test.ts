// The Ready loop against the Ready contract (raft/types.ts), with a log store whose writes complete only
// when the test says so: what leaves before the write is durable, what waits for it, what is applied
// beside it, and that one write is in flight at a time.

import { describe, expect, it } from 'vitest';
import { RaftNode } from '../raft/node.ts';
import { MemoryStorage } from '../raft/storage.ts';
import type { Entry, Message, Snapshot } from '../raft/types.ts';
import { SeededRng } from '../util/rng.ts';
import { ReadyLoop } from './ready-loop.ts';
import type { Completion, DurableWrite, LogStore, MemberClock } from './seams.ts';

/** A log store whose writes stay in flight until `complete()`. */
class ManualStore implements LogStore {
  readonly pending: { write: DurableWrite; done: Completion }[] = [];
  saveReady(write: DurableWrite, done: Completion): void {
    this.pending.push({ write, done });
  }
  complete(err?: unknown): DurableWrite {
    const p = this.pending.shift();
    if (p === undefined) throw new Error('no write in flight');
    p.done(err);
    return p.write;
  }
  saveSnapshot(_s: Snapshot, done: Completion): void {
    done();
  }
  compact(_i: number, done: Completion): void {
    done();
  }
  sizeBytes(): number {
    return 0;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const clock: MemberClock = { nowMs: () => 0, after: () => () => undefined, every: () => () => undefined };

/** With `manualApply`, each apply stays in flight until the test completes it (a slow state machine). */
function setup(id: number, voters: number[], opts: { manualApply?: boolean } = {}) {
  const memory = new MemoryStorage({ voters, learners: [] });
  const node = new RaftNode({ id, storage: memory, rng: new SeededRng(id), electionTicks: 10, heartbeatTicks: 1 });
  const store = new ManualStore();
  const sent: Message[] = [];
  const applied: Entry[] = [];
  const installed: Snapshot[] = [];
  const fatal: unknown[] = [];
  const applies: Completion[] = [];
  const loop = new ReadyLoop({
    node,
    memory,
    store,
    clock,
    send: (ms) => sent.push(...ms),
    fatal: (e) => fatal.push(e),
    applier: {
      applyCommitted: (es, done) => {
        applied.push(...es);
        if (opts.manualApply === true) applies.push(done);
        else done();
      },
      installSnapshot: (s) => installed.push(s),
      softState: () => undefined,
      readStates: () => undefined,
      advanced: () => undefined,
      persisted: () => undefined,
    },
  });
  return { node, memory, store, sent, applied, installed, fatal, loop, applies };
}

const data = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Make node 1 of {1,2,3} leader: campaign (PreVote, then vote) with node 2's grants. */
function elect(t: ReturnType<typeof setup>): void {
  t.node.campaign();
  t.loop.pump();
  // PreVote changes no hard state: nothing to write, the requests leave at once.
  expect(t.store.pending).toHaveLength(0);
  t.node.step({ type: 'preVoteResponse', from: 2, to: 1, term: 1, reject: false });
  t.loop.pump();
  // Vote requests promise nothing, but the candidate's new term and its own vote must be durable first.
  expect(t.sent.filter((m) => m.type === 'vote')).toHaveLength(0);
  t.store.complete();
  expect(t.sent.filter((m) => m.type === 'vote')).toHaveLength(2);
  t.node.step({ type: 'voteResponse', from: 2, to: 1, term: 1, reject: false });
  t.sent.length = 0;
  t.loop.pump();
}

describe('the Ready loop keeps the Ready contract', () => {
  it("a leader's appends leave before its own write is durable; the next Ready waits for that write", () => {
    const t = setup(1, [1, 2, 3]);
    elect(t);
    // The new leader's empty entry is being written; its appends to 2 and 3 are already out.
    expect(t.store.pending).toHaveLength(1);
    expect(t.store.pending[0]!.write.entries.map((e) => e.index)).toEqual([1]);
    expect(t.sent.filter((m) => m.type === 'append').map((m) => m.to).sort()).toEqual([2, 3]);
    // A proposal while the write is in flight: stepped into the core, handed out only after the write.
    t.node.propose(data('x'));
    t.loop.pump();
    expect(t.loop.persisting).toBe(true);
    expect(t.store.pending).toHaveLength(1);
    t.store.complete();
    expect(t.store.pending).toHaveLength(1);
    expect(t.store.pending[0]!.write.entries.map((e) => e.index)).toEqual([2]);
    // Not yet durable here, so the leader's own copy does not count: one follower's ack commits nothing.
    t.node.step({ type: 'appendResponse', from: 2, to: 1, term: 1, reject: false, index: 2, rejectHint: 0, logTerm: 0 });
    expect(t.node.status().commit).toBe(1);
    t.store.complete();
    expect(t.node.status().commit).toBe(2);
  });

  it('a follower applies committed entries beside their write, and acknowledges only after it', () => {
    const t = setup(2, [1, 2, 3]);
    const e1: Entry = { type: 'normal', term: 1, index: 1, data: data('a') };
    const e2: Entry = { type: 'normal', term: 1, index: 2, data: data('b') };
    t.node.step({ type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [e1, e2], commit: 2 });
    t.loop.pump();
    expect(t.store.pending).toHaveLength(1);
    // Committed on a quorum already: applied while this member's own copy is still being written.
    expect(t.applied.map((e) => e.index)).toEqual([1, 2]);
    // The acknowledgement promises durability: it waits.
    expect(t.sent).toHaveLength(0);
    const w = t.store.complete();
    expect(w.entries.map((e) => e.index)).toEqual([1, 2]);
    expect(t.sent.map((m) => m.type)).toEqual(['appendResponse']);
    expect(t.memory.lastIndex()).toBe(2);
  });

  it("a write that only moves the commit index (etcd's MustSync: no fsync) does not hold up the next Ready", () => {
    const t = setup(2, [1, 2, 3]);
    const e1: Entry = { type: 'normal', term: 1, index: 1, data: data('a') };
    const e2: Entry = { type: 'normal', term: 1, index: 2, data: data('b') };
    t.node.step({ type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [e1], commit: 0 });
    t.loop.pump();
    t.store.complete();
    t.sent.length = 0;
    // The leader's commit broadcast: nothing new to store but the commit index.
    t.node.step({ type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 1, prevLogTerm: 1, entries: [], commit: 1 });
    t.loop.pump();
    expect(t.store.pending).toHaveLength(1);
    expect(t.store.pending[0]!.write).toMatchObject({ entries: [], hardState: { commit: 1 } });
    expect(t.loop.persisting).toBe(false);
    expect(t.applied.map((e) => e.index)).toEqual([1]);
    // Its acknowledgement promises only entry 1, durable already: it leaves at once.
    expect(t.sent.map((m) => m.type)).toEqual(['appendResponse']);
    // The next entry's write is issued behind it; its acknowledgement waits for that write.
    t.sent.length = 0;
    t.node.step({ type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 1, prevLogTerm: 1, entries: [e2], commit: 1 });
    t.loop.pump();
    expect(t.store.pending.map((p) => p.write.entries.map((e) => e.index))).toEqual([[], [2]]);
    expect(t.sent).toHaveLength(0);
    t.store.complete();
    expect(t.sent).toHaveLength(0);
    t.store.complete();
    expect(t.sent.map((m) => (m.type === 'appendResponse' ? m.index : -1))).toEqual([2]);
  });

  it('a failed unsynced write is fatal too', () => {
    const t = setup(2, [1, 2, 3]);
    t.node.step({ type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [{ type: 'normal', term: 1, index: 1, data: data('a') }], commit: 0 });
    t.loop.pump();
    t.store.complete();
    t.node.step({ type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 1, prevLogTerm: 1, entries: [], commit: 1 });
    t.loop.pump();
    t.store.complete(new Error('disk gone'));
    expect(t.fatal).toHaveLength(1);
    t.sent.length = 0;
    t.node.step({ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 1, context: 0 });
    t.loop.pump();
    expect(t.sent).toHaveLength(0);
  });

  it('a snapshot from the leader is installed only once it is durable', () => {
    const t = setup(2, [1, 2, 3]);
    const snapshot: Snapshot = { metadata: { index: 5, term: 1, confState: { voters: [1, 2, 3], learners: [] } }, data: data('image') };
    t.node.step({ type: 'snapshot', from: 1, to: 2, term: 1, snapshot });
    t.loop.pump();
    expect(t.store.pending[0]!.write.snapshot).toBe(snapshot);
    expect(t.installed).toHaveLength(0);
    t.store.complete();
    expect(t.installed).toEqual([snapshot]);
    expect(t.memory.snapshot().metadata.index).toBe(5);
  });

  it('a failed write is fatal: nothing more is sent or handed out', () => {
    const t = setup(2, [1, 2, 3]);
    t.node.step({ type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [{ type: 'normal', term: 1, index: 1, data: data('a') }], commit: 0 });
    t.loop.pump();
    t.store.complete(new Error('disk gone'));
    expect(t.fatal).toHaveLength(1);
    expect(t.sent).toHaveLength(0);
    t.node.step({ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 0, context: 0 });
    t.loop.pump();
    expect(t.store.pending).toHaveLength(0);
    expect(t.sent).toHaveLength(0);
  });
});

describe('an apply that completes later (a slow or disk-backed state machine)', () => {
  const addVoter = (index: number, nodeId: number): Entry => ({ type: 'confChange', term: 1, index, change: { type: 'addVoter', nodeId } });

  it('the core advances only once the apply completes; inputs meanwhile wait for the next Ready', () => {
    const t = setup(2, [1, 2, 3], { manualApply: true });
    const e1: Entry = { type: 'normal', term: 1, index: 1, data: data('a') };
    t.node.step({ type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [e1], commit: 1 });
    t.loop.pump();
    t.store.complete();
    // Durable: the acknowledgement leaves; the apply has not completed, so the core has applied nothing.
    expect(t.sent.map((m) => m.type)).toEqual(['appendResponse']);
    expect(t.loop.applying).toBe(true);
    expect(t.node.status().applied).toBe(0);
    t.node.step({ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 1, context: 0 });
    t.loop.pump();
    expect(t.sent).toHaveLength(1);
    t.applies.shift()!();
    expect(t.node.status().applied).toBe(1);
    expect(t.sent.map((m) => m.type)).toEqual(['appendResponse', 'heartbeatResponse']);
  });

  it('no campaign while committed configuration changes are being applied (etcd: hup refuses; issue 7, bug 1)', () => {
    // Votes are counted against the applied configuration: while addVoter(4) and addVoter(5) are applied,
    // {1,2,3} is stale, and a majority of it need not overlap a majority of {1..5}.
    const t = setup(2, [1, 2, 3], { manualApply: true });
    t.node.step({ type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [addVoter(1, 4), addVoter(2, 5)], commit: 2 });
    t.loop.pump();
    t.store.complete();
    t.sent.length = 0;
    for (let i = 0; i < 30; i++) {
      t.node.tick();
      t.loop.pump();
    }
    expect(t.node.status().role).toBe('follower');
    expect(t.sent).toEqual([]);
    t.applies.shift()!();
    expect(t.node.status().confState.voters).toEqual([1, 2, 3, 4, 5]);
    for (let i = 0; i < 30; i++) {
      t.node.tick();
      t.loop.pump();
    }
    expect(t.sent.map((m) => m.type)).toContain('preVote');
  });

  it('an apply that completes with an error is fatal', () => {
    const t = setup(2, [1, 2, 3], { manualApply: true });
    t.node.step({ type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [{ type: 'normal', term: 1, index: 1, data: data('a') }], commit: 1 });
    t.loop.pump();
    t.store.complete();
    t.applies.shift()!(new Error('backend write failed'));
    expect(t.fatal).toHaveLength(1);
    expect(t.node.status().applied).toBe(0);
  });
});
