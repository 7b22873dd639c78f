// What a member starts from: its durable state as the log store loaded it, plus — on the very first start
// of a new cluster's member — the bootstrap. Shared by the server (over LevelDB) and the simulator (over
// its simulated disk), so a restart in the simulator is a restart of the server.

import { MemoryStorage } from '../raft/storage.ts';
import type { Entry, HardState, Snapshot } from '../raft/types.ts';
import type { ClusterIds } from './config.ts';
import { encodeMemberContext } from './payload.ts';
import type { DurableWrite } from './seams.ts';
import { KvStateMachine } from './state-machine.ts';
import type { StateMachineDisk } from './state-machine-disk.ts';

/** A state machine kept on disk (state-machine-disk.ts), as StateMachineDisk.open loaded it. */
export interface PersistedStateMachine {
  readonly stateMachine: KvStateMachine;
  /** The applied index its durable state describes (etcd's consistent index); 0 = nothing applied. */
  readonly consistentIndex: number;
  readonly journal: StateMachineDisk;
}

/** A member's durable state as loaded at startup (storage/DiskStorage's LoadedState has this shape). */
export interface DurableState {
  readonly hardState: HardState;
  /** Index 0 with empty data when no snapshot was ever saved. */
  readonly snapshot: Snapshot;
  /** The log after the snapshot, contiguous. */
  readonly entries: readonly Entry[];
}

export interface BootState {
  /** The log the core reads, rebuilt from the durable state. */
  readonly memory: MemoryStorage;
  readonly stateMachine: KvStateMachine;
  /** The index the state machine is at (its snapshot's); the core hands out the committed log after it. */
  readonly applied: number;
  /** The bootstrap to make durable before the member starts, on the first start of a new cluster. */
  readonly bootstrap: DurableWrite | undefined;
}

/**
 * Bootstrap as etcd does: the initial membership is the log's first entries, committed at term 1, identical
 * on every initial member, so a member that later receives the log from index 1 learns the configuration
 * from it. A joining member (`existing`) starts empty and learns everything from the leader.
 */
export function bootstrapWrite(ids: ClusterIds): DurableWrite {
  const members = [...ids.initialMembers.entries()].sort((a, b) => a[0] - b[0]);
  const entries = members.map(
    ([id, m], i): Entry => ({ type: 'confChange', term: 1, index: i + 1, change: { type: 'addVoter', nodeId: id, context: encodeMemberContext({ name: m.name, peerUrls: [m.peerUrl] }) } }),
  );
  return { hardState: { term: 1, vote: 0, commit: entries.length }, entries };
}

/**
 * Without `persisted`, the state machine is rebuilt from the snapshot and the log after it is replayed.
 * With it (a state machine on disk), the member starts from the state the disk holds at its consistent
 * index and replays only the log after that, as etcd does: the Raft log always keeps the entries after the
 * disk's last fsync'd commit (member.ts compacts only up to it). A snapshot newer than that index was
 * received from the leader and not yet written to the state machine's disk before a crash: it is installed.
 */
export function bootMember(state: DurableState, ids: ClusterIds, initialClusterState: 'new' | 'existing', persisted?: PersistedStateMachine): BootState {
  const fresh = state.snapshot.metadata.index === 0 && state.entries.length === 0 && state.hardState.term === 0;
  const bootstrap = fresh && initialClusterState === 'new' ? bootstrapWrite(ids) : undefined;
  const memory = new MemoryStorage();
  const snapshotIndex = state.snapshot.metadata.index;
  let stateMachine = persisted?.stateMachine ?? new KvStateMachine();
  let applied = persisted?.consistentIndex ?? 0;
  if (snapshotIndex > 0) memory.applySnapshot(state.snapshot);
  if (snapshotIndex > applied) {
    if (persisted !== undefined && state.snapshot.data.byteLength === 0) {
      throw new Error(`the state machine on disk is at index ${applied}, behind the snapshot at ${snapshotIndex}, which carries no data: the MVCC directory was lost or replaced`);
    }
    stateMachine = KvStateMachine.restore(state.snapshot.data, persisted?.journal);
    applied = snapshotIndex;
  }
  memory.append(bootstrap?.entries ?? state.entries);
  const hardState = bootstrap?.hardState ?? state.hardState;
  if (applied > memory.lastIndex()) {
    throw new Error(`the state machine on disk is at index ${applied}, past the Raft log's last index ${memory.lastIndex()}: the data directories do not belong together`);
  }
  // Entries the state machine applied were committed; a commit index that a crash lost is learned again.
  memory.setHardState(applied > hardState.commit ? { ...hardState, commit: applied } : hardState);
  return { memory, stateMachine, applied, bootstrap };
}
