// Where a member with its state machine on disk starts from (bootMember with `persisted`): the disk's
// consistent index when it is at or past the Raft snapshot, the snapshot when a crash came between saving a
// leader's snapshot and writing it to the state machine's disk, and a refusal when the two directories
// cannot belong together.

import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../storage/test-helpers.ts';
import type { Entry, HardState, Snapshot } from '../raft/types.ts';
import { bootMember, type DurableState, type PersistedStateMachine } from './boot.ts';
import type { ClusterIds } from './config.ts';
import { KvStateMachine } from './state-machine.ts';
import { StateMachineDisk } from './state-machine-disk.ts';

const ids: ClusterIds = { memberId: 1, clusterId: 9, initialMembers: new Map([[1, { name: 'a', peerUrl: 'http://127.0.0.1:1' }]]) };
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function entries(from: number, to: number, term = 2): Entry[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({ type: 'normal' as const, index: from + i, term, data: new Uint8Array(0) }));
}

function durable(snapshot: Snapshot, log: Entry[], hardState: HardState): DurableState {
  return { snapshot, entries: log, hardState };
}

function snapshotAt(index: number, data: Uint8Array): Snapshot {
  return { metadata: { index, term: 2, confState: { voters: [1], learners: [] } }, data };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A state machine on disk (a fresh directory) that claims to be at `consistentIndex`. */
async function persisted(consistentIndex: number): Promise<PersistedStateMachine> {
  const t = await tempDir('boot');
  cleanups.push(t.cleanup);
  const o = await StateMachineDisk.open(t.dir);
  cleanups.push(() => o.journal.close());
  return { stateMachine: new KvStateMachine(o.mvcc, o.dedupe, o.members, o.removed, o.journal), consistentIndex, journal: o.journal };
}

describe('bootMember with a state machine on disk', () => {
  it('starts at the consistent index when it is at or past the snapshot, keeping the disk state', async () => {
    const p = await persisted(30);
    const sm = p.stateMachine;
    const boot = bootMember(durable(snapshotAt(20, new Uint8Array(0)), entries(21, 40), { term: 2, vote: 1, commit: 35 }), ids, 'existing', p);
    expect(boot.applied).toBe(30);
    expect(boot.stateMachine).toBe(sm);
    expect(boot.memory.initialState().hardState.commit).toBe(35);
  });

  it('installs the snapshot into the disk when the disk is behind it (crash before the install was committed)', async () => {
    const source = new KvStateMachine();
    source.applyPayload({ kind: 'command', requestId: 'r', command: { type: 'put', key: enc('k'), value: enc('v') } });
    const p = await persisted(10);
    const boot = bootMember(durable(snapshotAt(20, source.serialize()), entries(21, 25), { term: 2, vote: 1, commit: 25 }), ids, 'existing', p);
    expect(boot.applied).toBe(20);
    expect(boot.stateMachine.serialize()).toEqual(source.serialize());
    // The installed state is what the disk writes at the next commit.
    expect(boot.stateMachine.disk).toBe(p.journal);
    expect(p.journal.hasChanges).toBe(true);
  });

  it('refuses a disk behind a snapshot that carries no data', async () => {
    const p = await persisted(10);
    expect(() => bootMember(durable(snapshotAt(20, new Uint8Array(0)), entries(21, 25), { term: 2, vote: 1, commit: 25 }), ids, 'existing', p)).toThrow(
      /behind the snapshot at 20, which carries no data/,
    );
  });

  it('refuses a disk past the end of the Raft log', async () => {
    const p = await persisted(9);
    expect(() => bootMember(durable(snapshotAt(0, new Uint8Array(0)), entries(1, 5), { term: 2, vote: 1, commit: 5 }), ids, 'existing', p)).toThrow(
      /past the Raft log's last index 5/,
    );
  });

  it('raises a commit index a crash lost to the consistent index (those entries were committed)', async () => {
    const boot = bootMember(durable(snapshotAt(0, new Uint8Array(0)), entries(1, 12), { term: 2, vote: 1, commit: 4 }), ids, 'existing', await persisted(9));
    expect(boot.applied).toBe(9);
    expect(boot.memory.initialState().hardState.commit).toBe(9);
  });
});
