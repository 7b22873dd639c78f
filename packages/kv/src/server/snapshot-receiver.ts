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

/**
 * Received states kept at once, newest first (each holds an open database and its rebuilt index). More than
 * one: a state must not be dropped between its message being stepped and its install, even if another
 * stream completes meanwhile.
 */
export const PREPARED_SNAPSHOTS_MAX = 2;

interface Prepared {
  readonly index: number;
  readonly dirName: string;
  readonly stateMachine: KvStateMachine;
}

export class SnapshotReceiver implements ReceivedSnapshots {
  /** Received and opened, not yet taken; newest last, at most PREPARED_SNAPSHOTS_MAX. */
  private prepared: Prepared[] = [];
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
    if (name === this.currentDirName || this.taken?.dirName === name || this.prepared.some((p) => p.dirName === name)) {
      // The same snapshot again (the leader did not hear our answer, or has applied nothing since): the state
      // committed at one index is the same from any leader, so the stream is checked and discarded, and the
      // message stepped again with the state already here.
      return discardingSink(metadata);
    }
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
    const i = this.prepared.findIndex((p) => p.index === index);
    if (i < 0) return undefined;
    const [p] = this.prepared.splice(i, 1);
    this.taken = p;
    return p!.stateMachine;
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
    for (const p of this.prepared.splice(0)) await drop(this.dataDir, p);
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
    this.prepared.push({ index, dirName, stateMachine: new KvStateMachine(o.mvcc, o.dedupe, o.members, o.removed, o.journal) });
    while (this.prepared.length > PREPARED_SNAPSHOTS_MAX) await drop(this.dataDir, this.prepared.shift()!);
  }
}

async function drop(dataDir: string, p: Prepared): Promise<void> {
  await p.stateMachine.disk?.close().catch(() => undefined);
  await rm(join(dataDir, p.dirName), { recursive: true, force: true });
}

/** A sink that keeps nothing: the stream is still checked by the transport before finish(). */
function discardingSink(metadata: SnapshotMetadata): SnapshotSink {
  return {
    write: () => Promise.resolve(),
    finish: () => Promise.resolve({ metadata, data: new Uint8Array(0) }),
    abort: () => Promise.resolve(),
  };
}
