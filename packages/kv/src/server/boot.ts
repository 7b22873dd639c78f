// What a member starts from: its durable state as the log store loaded it, plus — on the very first start
// of a new cluster's member — the bootstrap. Shared by the server (over LevelDB) and the simulator (over
// its simulated disk), so a restart in the simulator is a restart of the server.

import { MemoryStorage } from '../raft/storage.ts';
import type { Entry, HardState, Snapshot } from '../raft/types.ts';
import type { ClusterIds } from './config.ts';
import { encodeMemberContext } from './payload.ts';
import type { DurableWrite } from './seams.ts';
import { KvStateMachine } from './state-machine.ts';

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

export function bootMember(state: DurableState, ids: ClusterIds, initialClusterState: 'new' | 'existing'): BootState {
  const fresh = state.snapshot.metadata.index === 0 && state.entries.length === 0 && state.hardState.term === 0;
  const bootstrap = fresh && initialClusterState === 'new' ? bootstrapWrite(ids) : undefined;
  const memory = new MemoryStorage();
  let stateMachine = new KvStateMachine();
  if (state.snapshot.metadata.index > 0) {
    memory.applySnapshot(state.snapshot);
    stateMachine = KvStateMachine.restore(state.snapshot.data);
  }
  memory.append(bootstrap?.entries ?? state.entries);
  memory.setHardState(bootstrap?.hardState ?? state.hardState);
  return { memory, stateMachine, applied: state.snapshot.metadata.index, bootstrap };
}
