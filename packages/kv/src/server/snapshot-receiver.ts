// The follower's side of a snapshot streamed from the leader's MVCC database (etcd's snapshot receive
// handler plus its applySnapshot): the stream is written into a fresh directory (storage/mvcc-snapshot.ts),
// verified and synced, then opened — its key index rebuilt — BEFORE the snapshot message is stepped into
// Raft, so installing it is only a swap. The Raft core may still refuse it (it is not newer than the commit
// index); the prepared state then waits, and is dropped when another arrives or the member stops.
// Installing switches the directory pointer (mvcc-dirs.ts) and removes the old database.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotMetadata } from '../raft/types.ts';
import { MvccSnapshotSink } from '../storage/mvcc-snapshot.ts';
import { SnapshotChunkError, type SnapshotSink } from '../storage/snapshot-chunks.ts';
import type { TransportLogger } from '../transport/index.ts';
import { partialDirName, pointMvccAt, receivedDirName } from './mvcc-dirs.ts';
import type { ReceivedSnapshots } from './seams.ts';
import { KvStateMachine } from './state-machine.ts';
import { StateMachineDisk } from './state-machine-disk.ts';

interface Prepared {
  readonly index: number;
  readonly dirName: string;
  readonly stateMachine: KvStateMachine;
}

export class SnapshotReceiver implements ReceivedSnapshots {
  /** At most one: the newest stream received; each holds an open database and its rebuilt index. */
  private prepared: Prepared | undefined;
  /** Taken by the member, to be made durable by installed(). */
  private taken: Prepared | undefined;
  private closed = false;

  /** `currentDirName`: the MVCC directory the member runs on now (mvccDirAtStart). */
  constructor(
    private readonly dataDir: string,
    private currentDirName: string,
    private readonly logger: TransportLogger,
  ) {}

  /** The transport's sink for an `mvccdb` stream of the snapshot `metadata` describes. */
  async openSink(metadata: SnapshotMetadata): Promise<SnapshotSink> {
    const name = receivedDirName(metadata.index);
    if (this.closed) throw new SnapshotChunkError('Unsupported', 'this member is stopping');
    if (name === this.currentDirName || this.taken?.dirName === name) throw new SnapshotChunkError('Mismatch', `the snapshot at ${metadata.index} is already installed here`);
    // The leader sent this snapshot again (its first send failed, or we did not answer in time).
    if (this.prepared?.dirName === name) await this.dropPrepared();
    const sink = await MvccSnapshotSink.create(metadata, join(this.dataDir, partialDirName(metadata.index)), join(this.dataDir, name));
    return {
      write: (data) => sink.write(data),
      abort: () => sink.abort(),
      finish: async () => {
        const snapshot = await sink.finish();
        await this.prepare(metadata.index, name);
        return snapshot;
      },
    };
  }

  take(index: number): KvStateMachine | undefined {
    const p = this.prepared;
    if (p === undefined || p.index !== index) return undefined;
    this.prepared = undefined;
    this.taken = p;
    return p.stateMachine;
  }

  async installed(index: number, previous: KvStateMachine): Promise<void> {
    const p = this.taken;
    if (p === undefined || p.index !== index) throw new Error(`installed snapshot ${index} was not taken from the receiver`);
    await pointMvccAt(this.dataDir, p.dirName);
    const old = this.currentDirName;
    this.currentDirName = p.dirName;
    this.taken = undefined;
    await previous.disk?.close().catch(() => undefined);
    await rm(join(this.dataDir, old), { recursive: true, force: true });
    this.logger.info('installed a snapshot received from the leader', { index, dir: p.dirName });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.dropPrepared();
  }

  private async prepare(index: number, dirName: string): Promise<void> {
    let o;
    try {
      o = await StateMachineDisk.open(join(this.dataDir, dirName));
    } catch (err) {
      await rm(join(this.dataDir, dirName), { recursive: true, force: true });
      throw err;
    }
    if (o.consistentIndex !== index) {
      await o.journal.close();
      throw new SnapshotChunkError('Mismatch', `received database is at index ${o.consistentIndex}, the snapshot at ${index}`);
    }
    if (this.closed) {
      await o.journal.close();
      throw new SnapshotChunkError('Unsupported', 'this member is stopping');
    }
    await this.dropPrepared();
    this.prepared = { index, dirName, stateMachine: new KvStateMachine(o.mvcc, o.dedupe, o.members, o.removed, o.journal) };
  }

  private async dropPrepared(): Promise<void> {
    const p = this.prepared;
    this.prepared = undefined;
    if (p === undefined) return;
    await p.stateMachine.disk?.close().catch(() => undefined);
    await rm(join(this.dataDir, p.dirName), { recursive: true, force: true });
  }
}
