// The replicated state machine of a member: the MVCC store, the dedupe table and the member list. A pure
// function of the applied log (no clock), identical on every member at the same index. With a durable copy
// (state-machine-disk.ts) it also tells that copy what changed, and `commit` writes it with the applied index.

import { MvccStore } from '../mvcc/store.ts';
import type { Command, Member } from '@halyard/kv-client/protocol';
import { toWireError } from './wire-errors.ts';
import type { ConfChange } from '../raft/types.ts';
import { DedupeTable, type Outcome } from './dedupe.ts';
import { type EntryPayload, decodeMemberContext, packValue, unpackValue } from './payload.ts';
import type { StateMachineDisk } from './state-machine-disk.ts';

interface Serialized {
  readonly v: 1;
  readonly mvcc: Uint8Array;
  readonly dedupe: [string, Outcome][];
  readonly members: Member[];
  /** Ids removed from the cluster (absent in snapshots written before removal tracking). */
  readonly removed?: number[];
}

export class KvStateMachine {
  mvcc: MvccStore;
  dedupe: DedupeTable;
  readonly members = new Map<number, Member>();
  /** Members removed from the cluster: peers refuse their connections so they learn they are out. */
  readonly removed = new Set<number>();
  /** Commands answered from the dedupe table at apply (a retried request already applied). Not replicated. */
  duplicatesIgnored = 0;
  /** The durable copy, when the member keeps its state on disk; undefined = memory only (simulator, tests). */
  readonly disk: StateMachineDisk | undefined;

  constructor(
    mvcc = new MvccStore(),
    dedupe = new DedupeTable(),
    members: readonly Member[] = [],
    removed: readonly number[] = [],
    disk?: StateMachineDisk,
  ) {
    this.mvcc = mvcc;
    this.dedupe = dedupe;
    for (const m of members) this.members.set(m.id, m);
    for (const id of removed) this.removed.add(id);
    this.disk = disk;
  }

  /**
   * Make everything applied so far durable together with `appliedIndex` (one batch); `sync` fsyncs it.
   * Without a durable copy there is nothing to write.
   */
  commit(appliedIndex: number, sync: boolean): Promise<void> {
    return this.disk === undefined ? Promise.resolve() : this.disk.commit(this, appliedIndex, sync);
  }

  /** Apply one normal entry's payload; returns the outcome of a command (undefined for bookkeeping). */
  applyPayload(p: EntryPayload): Outcome | undefined {
    switch (p.kind) {
      case 'command': {
        const seen = this.dedupe.get(p.requestId);
        if (seen !== undefined) {
          this.duplicatesIgnored++;
          return seen;
        }
        const outcome = this.applyCommand(p.command);
        this.dedupe.record(p.requestId, outcome);
        this.disk?.recorded(p.requestId, outcome);
        return outcome;
      }
      case 'publish': {
        const m = this.members.get(p.memberId);
        if (m !== undefined) this.members.set(p.memberId, { ...m, clientUrls: [...p.clientUrls] });
        this.disk?.membersChanged();
        return undefined;
      }
      default: {
        const never: never = p;
        throw new Error(`unknown payload ${JSON.stringify(never)}`);
      }
    }
  }

  private applyCommand(c: Command): Outcome {
    try {
      return { ok: true, response: this.mvcc.apply(c) };
    } catch (e) {
      // MVCC errors are deterministic outcomes (every member fails the same way); anything else is a bug.
      const w = toWireError(e);
      if (w.code === 'Internal') throw e;
      return { ok: false, error: w };
    }
  }

  applyConfChange(cc: ConfChange): void {
    this.disk?.membersChanged();
    switch (cc.type) {
      case 'addVoter':
      case 'addLearner': {
        this.removed.delete(cc.nodeId);
        const ctx = decodeMemberContext(cc.context);
        const prev = this.members.get(cc.nodeId);
        this.members.set(cc.nodeId, {
          id: cc.nodeId,
          name: ctx.name !== '' ? ctx.name : (prev?.name ?? ''),
          peerUrls: ctx.peerUrls.length > 0 ? ctx.peerUrls : (prev?.peerUrls ?? []),
          clientUrls: prev?.clientUrls ?? [],
          isLearner: cc.type === 'addLearner',
        });
        return;
      }
      case 'promoteLearner': {
        const m = this.members.get(cc.nodeId);
        if (m !== undefined) this.members.set(cc.nodeId, { ...m, isLearner: false });
        return;
      }
      case 'removeNode':
        this.members.delete(cc.nodeId);
        this.removed.add(cc.nodeId);
        return;
      default: {
        const never: never = cc.type;
        throw new Error(`unknown conf change ${String(never)}`);
      }
    }
  }

  memberList(): Member[] {
    return [...this.members.values()].sort((a, b) => a.id - b.id);
  }

  serialize(): Uint8Array {
    const s: Serialized = { v: 1, mvcc: this.mvcc.serialize(), dedupe: this.dedupe.entries(), members: this.memberList(), removed: [...this.removed].sort((a, b) => a - b) };
    return packValue(s);
  }

  /**
   * The state machine `bytes` (serialize()) describe. With `disk`, it replaces everything the disk held: a
   * new generation, written by the next commit.
   */
  static restore(bytes: Uint8Array, disk?: StateMachineDisk): KvStateMachine {
    const s = unpackValue(bytes) as Partial<Serialized> | null;
    if (s === null || typeof s !== 'object' || s.v !== 1 || !(s.mvcc instanceof Uint8Array) || !Array.isArray(s.dedupe) || !Array.isArray(s.members)) {
      throw new Error('corrupt state machine snapshot');
    }
    const removed = Array.isArray(s.removed) ? s.removed.filter((id): id is number => typeof id === 'number') : [];
    disk?.disk.reset();
    const mvcc = MvccStore.restore(s.mvcc, disk === undefined ? {} : { backend: disk.disk });
    const sm = new KvStateMachine(mvcc, DedupeTable.from(s.dedupe), s.members, removed, disk);
    disk?.rewriteAll(sm);
    return sm;
  }
}
