// The replicated state machine kept on disk (storage/mvcc-disk.ts) instead of only in memory and in Raft
// snapshots: the MVCC revisions, the dedupe table (an append-only log trimmed from the front, FIFO like the
// table's own eviction), the member list and the MVCC/lease bookkeeping, committed with the applied index in
// one LevelDB batch (etcd's consistent index). A member restarts from here and replays only the Raft log
// after that index.
import type { Member } from '@halyard/kv-client/protocol';
import type { StoredMvccMeta } from '../mvcc/rebuild.ts';
import { MvccStore, type MvccStoreOptions } from '../mvcc/store.ts';
import { StorageCorruptError } from '../storage/errors.ts';
import type { SnapshotMetadata } from '../raft/types.ts';
import { MvccDisk, type MvccDiskLoaded } from '../storage/mvcc-disk.ts';
import { openMvccSnapshotSource } from '../storage/mvcc-snapshot.ts';
import type { SnapshotSource } from '../storage/snapshot-chunks.ts';
import { DEDUPE_ENTRIES_MAX, DedupeTable, type Outcome } from './dedupe.ts';

interface StoredMembers {
  readonly members: Member[];
  readonly removed: number[];
}

/** What a KvStateMachine reports to its durable copy, and how it commits. */
export interface StateMachineJournal {
  /** A new dedupe outcome was recorded (in apply order). */
  recorded(requestId: string, outcome: Outcome): void;
  /** The member list or the removed set changed. */
  membersChanged(): void;
}

/** The parts of a KvStateMachine the journal writes at commit. */
export interface JournaledState {
  readonly mvcc: MvccStore;
  readonly dedupe: DedupeTable;
  memberList(): Member[];
  readonly removed: ReadonlySet<number>;
}

export class StateMachineDisk implements StateMachineJournal {
  private dedupeFirstSeq: number;
  private dedupeNextSeq: number;
  private membersDirty = false;
  /** The lease change counter written last, for `leasesOf`; undefined = write at the next commit. */
  private leasesWritten: { store: MvccStore; changes: number } | undefined;

  private constructor(
    readonly disk: MvccDisk,
    firstSeq: number,
    nextSeq: number,
    private readonly dedupeEntriesMax: number,
  ) {
    this.dedupeFirstSeq = firstSeq;
    this.dedupeNextSeq = nextSeq;
  }

  /** Open the directory and rebuild what it holds; `consistentIndex` 0 means a new directory (nothing applied). */
  static async open(
    dir: string,
    options: { readonly mvcc?: MvccStoreOptions; readonly dedupeEntriesMax?: number; readonly removalsPerCommitMax?: number } = {},
  ): Promise<{ journal: StateMachineDisk; consistentIndex: number; mvcc: MvccStore; dedupe: DedupeTable; members: Member[]; removed: number[] }> {
    const { disk, loaded } = await MvccDisk.open(dir, options.removalsPerCommitMax === undefined ? {} : { removalsPerCommitMax: options.removalsPerCommitMax });
    try {
      const rebuilt = await rebuildState(dir, disk, loaded, options);
      const log = loaded.appLog;
      const firstSeq = log.length > 0 ? log[0]![0] : 0;
      const nextSeq = log.length > 0 ? log[log.length - 1]![0] + 1 : 0;
      const journal = new StateMachineDisk(disk, firstSeq, nextSeq, options.dedupeEntriesMax ?? DEDUPE_ENTRIES_MAX);
      // A new directory has no lease record yet: the first commit writes one.
      if (loaded.consistentIndex > 0) journal.leasesWritten = { store: rebuilt.mvcc, changes: rebuilt.mvcc.leaseChanges };
      return { journal, consistentIndex: loaded.consistentIndex, ...rebuilt };
    } catch (err) {
      await disk.close().catch(() => undefined);
      throw err;
    }
  }

  recorded(requestId: string, outcome: Outcome): void {
    this.disk.appendLog(this.dedupeNextSeq++, [requestId, outcome]);
    const keepFrom = this.dedupeNextSeq - this.dedupeEntriesMax;
    if (keepFrom > this.dedupeFirstSeq) {
      this.disk.trimLog(this.dedupeFirstSeq, keepFrom);
      this.dedupeFirstSeq = keepFrom;
    }
  }

  membersChanged(): void {
    this.membersDirty = true;
  }

  /** Whether anything changed since the last commit (apart from what the MVCC store's meta shows). */
  get hasChanges(): boolean {
    return this.disk.hasStaged || this.membersDirty;
  }

  /**
   * Start over with `state` (a snapshot from the leader replaced everything): a new generation holding all
   * of it, written by the next commit. `state.mvcc` must already write into `this.disk` (built after reset()).
   */
  rewriteAll(state: JournaledState): void {
    this.dedupeFirstSeq = 0;
    this.dedupeNextSeq = 0;
    for (const [id, outcome] of state.dedupe.entries()) this.recorded(id, outcome);
    this.membersDirty = true;
    this.leasesWritten = undefined;
  }

  /** Writes what changed since the last commit, with `appliedIndex`, in one batch. */
  commit(state: JournaledState, appliedIndex: number, sync: boolean): Promise<void> {
    this.disk.putMeta('mvcc', state.mvcc.revisionMeta());
    const changes = state.mvcc.leaseChanges;
    if (this.leasesWritten === undefined || this.leasesWritten.store !== state.mvcc || this.leasesWritten.changes !== changes) {
      this.disk.putMeta('leases', state.mvcc.persistentMeta().leases);
      this.leasesWritten = { store: state.mvcc, changes };
    }
    if (this.membersDirty) {
      const stored: StoredMembers = { members: state.memberList(), removed: [...state.removed].sort((a, b) => a - b) };
      this.disk.putMeta('members', stored);
      this.membersDirty = false;
    }
    return this.disk.commit(appliedIndex, sync);
  }

  /**
   * The database as of the last commit issued — which must be at `metadata.index` — as a snapshot stream
   * (storage/mvcc-snapshot.ts): read from one LevelDB view, a chunk at a time.
   */
  openSnapshotSource(metadata: SnapshotMetadata, chunkSizeBytes: number): Promise<SnapshotSource> {
    return openMvccSnapshotSource(this.disk, metadata, chunkSizeBytes);
  }

  close(): Promise<void> {
    return this.disk.close();
  }
}

async function rebuildState(
  dir: string,
  disk: MvccDisk,
  loaded: MvccDiskLoaded,
  options: { readonly mvcc?: MvccStoreOptions; readonly dedupeEntriesMax?: number },
): Promise<{ mvcc: MvccStore; dedupe: DedupeTable; members: Member[]; removed: number[] }> {
  const bad = (what: string): never => {
    throw new StorageCorruptError(dir, what, 'missing or malformed');
  };
  const revisionMeta = loaded.meta.get('mvcc') as { currentRevision?: unknown; compactRevision?: unknown } | undefined;
  const leases = loaded.meta.get('leases') as StoredMvccMeta['leases'] | undefined;
  const members = loaded.meta.get('members') as StoredMembers | undefined;
  if (loaded.consistentIndex > 0 && (revisionMeta === undefined || leases === undefined)) bad('mvcc meta');
  const meta: StoredMvccMeta = {
    currentRevision: revisionMeta === undefined ? 1 : uint(revisionMeta.currentRevision, bad),
    compactRevision: revisionMeta === undefined ? 0 : uint(revisionMeta.compactRevision, bad),
    leases: leases === undefined ? { nextId: 1, leases: [] } : leases,
  };
  if (!Array.isArray(meta.leases.leases) || typeof meta.leases.nextId !== 'number') bad('leases');
  const mvcc = await MvccStore.rebuildFromScan(meta, (visit) => disk.scanRevisions(visit), { ...options.mvcc, backend: disk });
  const dedupe = new DedupeTable(options.dedupeEntriesMax);
  for (const [, entry] of loaded.appLog) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'object') bad('dedupe entry');
    dedupe.record((entry as [string, Outcome])[0], (entry as [string, Outcome])[1]);
  }
  if (members !== undefined && (!Array.isArray(members.members) || !Array.isArray(members.removed))) bad('members');
  return { mvcc, dedupe, members: members?.members ?? [], removed: members?.removed ?? [] };
}

function uint(v: unknown, bad: (what: string) => never): number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : bad('mvcc meta');
}
