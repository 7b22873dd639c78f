// A member as a process: its seams wired to the real world — LevelDB for the log and stable store, the ws
// peer transport, Node's timers, crypto randomness — around the same KvMember (and Ready loop) that the
// simulator runs over simulated ones.

import { mkdir } from 'node:fs/promises';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { join } from 'node:path';
import { DiskStorage, ImageSink, SNAPSHOT_CHUNK_SIZE_BYTES_DEFAULT, SnapshotChunkError } from '../storage/index.ts';
import { PeerTransport, type TransportLogger, consoleLogger } from '../transport/index.ts';
import { type PersistedStateMachine, bootMember } from './boot.ts';
import { type MemberConfig, clusterIds, validateConfig } from './config.ts';
import { cryptoRandom } from './crypto-random.ts';
import { DiskLogStore } from './disk-log-store.ts';
import { KvMember, toWsUrl } from './member.ts';
import { mvccDirAtStart } from './mvcc-dirs.ts';
import { realClock } from './real-clock.ts';
import { KvStateMachine } from './state-machine.ts';
import { StateMachineDisk } from './state-machine-disk.ts';
import { SnapshotReceiver } from './snapshot-receiver.ts';
import { loadTls } from './tls.ts';
import { WriteTrace } from './write-trace.ts';

/** Open the member's data directory, start its peer port, and start it. */
export async function startKvMember(config: MemberConfig, logger: TransportLogger = consoleLogger): Promise<KvMember> {
  validateConfig(config);
  const ids = clusterIds(config);
  await mkdir(config.dataDir, { recursive: true });
  const { storage: disk, state } = await DiskStorage.open(join(config.dataDir, 'raft'));
  let persisted: PersistedStateMachine | undefined;
  let receiver: SnapshotReceiver | undefined;
  if ((config.mvccBackend ?? 'leveldb') === 'leveldb') {
    try {
      const mvccDir = await mvccDirAtStart(config.dataDir, state.snapshot.metadata.index);
      receiver = new SnapshotReceiver(config.dataDir, mvccDir, logger);
      const o = await StateMachineDisk.open(join(config.dataDir, mvccDir));
      persisted = { stateMachine: new KvStateMachine(o.mvcc, o.dedupe, o.members, o.removed, o.journal), consistentIndex: o.consistentIndex, journal: o.journal };
    } catch (e) {
      await disk.close();
      throw e;
    }
  }
  let boot;
  try {
    boot = bootMember(state, ids, config.initialClusterState, persisted);
  } catch (e) {
    await disk.close();
    await persisted?.journal.close();
    throw e;
  }
  if (boot.bootstrap !== undefined) await disk.saveReady(boot.bootstrap);
  const peerUrl = new URL(config.peerUrl);
  const peerTls = loadTls(config.peerTls, 'peer');
  const registry = new Registry();
  // process_resident_memory_bytes, nodejs_heap_* and nodejs_external_memory_bytes: what a member's memory is
  // made of (etcd's /metrics has process_* and go_memstats_* for the same question). Read at scrape time.
  collectDefaultMetrics({ register: registry });
  const trace = WriteTrace.fromEnv(ids.memberId);
  // The transport delivers to the member, which is built next (nothing is delivered before start()).
  let member: KvMember | undefined;
  const transport = new PeerTransport({
    id: ids.memberId,
    clusterId: ids.clusterId.toString(16),
    listen: { host: peerUrl.hostname, port: Number(peerUrl.port) },
    handler: (m) => member?.receive(m, false),
    delivered: () => member?.frameReceived(),
    registry,
    logger,
    limits: { frameSizeBytesMax: Math.max(config.requestSizeBytesMax * 2, 4 * 1024 * 1024) },
    ...(peerTls !== undefined ? { tls: peerTls } : {}),
    onUnreachable: (id) => member?.unreachable(id),
    isRemoved: (id) => member?.isRemoved(id) === true,
    onRemoved: (by) => member?.removedBy(by),
    onSnapshotSent: (id, _index, ok) => member?.snapshotSent(id, ok),
    openSnapshotSource: (msg) => (member === undefined ? Promise.reject(new Error('member not started')) : member.openSnapshotSource(msg, SNAPSHOT_CHUNK_SIZE_BYTES_DEFAULT)),
    // A member on disk writes a streamed database to disk as it arrives; an image (from a leader on the memory
    // backend) is reassembled in memory either way. A member on the memory backend cannot use a database.
    openSnapshotSink: (_from, metadata, format) => {
      if (format === 'image') return Promise.resolve(new ImageSink(metadata));
      if (receiver === undefined) return Promise.reject(new SnapshotChunkError('Unsupported', `a member on the memory backend cannot install a '${format}' snapshot`));
      return receiver.openSink(metadata);
    },
    advertisedUrl: toWsUrl(config.peerUrl),
    ...(trace !== undefined ? { onMessagesWritten: (msgs) => trace.sent(msgs) } : {}),
  });
  member = new KvMember({
    config,
    ids,
    logger,
    boot,
    store: new DiskLogStore(disk, boot.bootstrap?.hardState ?? state.hardState),
    network: transport,
    clock: realClock,
    random: cryptoRandom,
    registry,
    transportFaults: transport,
    ...(trace !== undefined ? { trace } : {}),
    ...(receiver !== undefined ? { received: receiver } : {}),
  });
  const started = member;
  // A failed fsync or a broken invariant stops the member; the process must not exit as if all were well.
  started.onStopped(() => {
    if (started.fatalError() !== undefined) process.exitCode = 2;
  });
  try {
    await transport.start();
  } catch (e) {
    // The peer port could not be opened (in use): close what is open — the transport's dialers to the
    // other members would otherwise retry forever and keep the process alive — then report it.
    await started.stop();
    throw e;
  }
  started.start();
  return started;
}
