// Benchmark: a follower catching up by snapshot (not a test: it prints figures).
// Run: npx tsx packages/cli/bench/snapshot-catchup.ts [--keys 100000] [--value-bytes 1024] [--mode stream|image]
//
// This process plays the leader: it builds an MVCC database of --keys revisions with --value-bytes values,
// starts a peer transport and spawns the follower (this file again, with --follower) on loopback; then it
// sends one snapshot message and samples its own RSS every 50 ms until the follower acknowledges.
//   --mode stream (default): the production path — the leader streams its database from a LevelDB view
//     (storage/mvcc-snapshot.ts), the follower writes it into a new directory, syncs, opens and rebuilds it
//     (server/snapshot-receiver.ts).
//   --mode image: the path before it — the leader encodes its whole state in memory (serialize()) when the
//     stream starts, the follower reassembles it in memory and restores it into a new MVCC database.
// The follower first measures the disk: plain LevelDB batched writes (512 KiB batches, one sync at the end)
// of as many records of the same sizes into a fresh directory on the same disk — the "disk speed" baseline.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Message, SnapshotMetadata } from '@halyard/kv/raft';
import { KvStateMachine, SnapshotReceiver, StateMachineDisk } from '@halyard/kv/server';
import { ImageSink, MvccDisk, SNAPSHOT_CHUNK_SIZE_BYTES_DEFAULT, type SnapshotSink, imageSource, openMvccSnapshotSource } from '@halyard/kv/storage';
import { PeerTransport, silentLogger } from '@halyard/kv/transport';

// LevelDB as the kv package has it (the cli package does not depend on `level` itself).
const kvPackageJson = fileURLToPath(new URL('../../kv/package.json', import.meta.url));
interface PlainDb {
  open(): Promise<void>;
  batch(ops: { type: 'put'; key: Uint8Array; value: Uint8Array }[]): Promise<void>;
  put(key: Uint8Array, value: Uint8Array, options: { sync: boolean }): Promise<void>;
  close(): Promise<void>;
}
const { Level } = (await import(pathToFileURL(createRequire(kvPackageJson).resolve('level')).href)) as {
  Level: new (path: string, options: { keyEncoding: 'view'; valueEncoding: 'view' }) => PlainDb;
};

const CLUSTER_ID = 'bench';
const CONSISTENT_INDEX = 1_000;
const BASELINE_BATCH_BYTES = 512 * 1024;

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const keys = Number(flag('--keys', '100000'));
const valueBytes = Number(flag('--value-bytes', '1024'));
const mode = flag('--mode', 'stream');
if (!Number.isSafeInteger(keys) || keys <= 0 || !Number.isSafeInteger(valueBytes) || valueBytes <= 0 || (mode !== 'stream' && mode !== 'image')) {
  console.error('usage: snapshot-catchup.ts [--keys N] [--value-bytes N] [--mode stream|image]');
  process.exit(2);
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

interface FollowerReport {
  readonly baseline: { readonly bytes: number; readonly seconds: number };
  readonly stream: { readonly writeSeconds: number; readonly bytes: number; readonly receiveSeconds: number; readonly installSeconds: number; readonly keys: number };
}

// ------------------------------------------------------------------------------------------ follower

async function follower(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'halyard-bench-follower-'));
  try {
    const baseline = await diskBaseline(join(dir, 'baseline'));
    let firstChunkMs = 0;
    let writtenMs = 0;
    let streamBytes = 0;
    let writeMs = 0;
    const receiver = new SnapshotReceiver(dir, 'mvcc', silentLogger);
    const timed = (sink: SnapshotSink): SnapshotSink => ({
      write: async (data) => {
        const t = performance.now();
        if (firstChunkMs === 0) firstChunkMs = t;
        streamBytes += data.byteLength;
        await sink.write(data);
        writeMs += performance.now() - t;
      },
      finish: () => {
        writtenMs = performance.now();
        return sink.finish();
      },
      abort: () => sink.abort(),
    });
    let resolveReport: (r: FollowerReport) => void = () => undefined;
    let rejectReport: (e: unknown) => void = () => undefined;
    const done = new Promise<FollowerReport>((resolve, reject) => {
      resolveReport = resolve;
      rejectReport = reject;
    });
    const handler = (m: Message): void => {
      if (m.type !== 'snapshot') return;
      void (async () => {
        const index = m.snapshot.metadata.index;
        let sm: KvStateMachine | undefined;
        if (m.snapshot.data.byteLength === 0) {
          sm = receiver.take(index);
        } else {
          // The old path: restore the image into a new MVCC database and commit it, as a member did.
          const o = await StateMachineDisk.open(join(dir, 'mvcc-image'));
          sm = KvStateMachine.restore(m.snapshot.data, o.journal);
          await sm.commit(index, true);
        }
        if (sm === undefined) throw new Error('no state received');
        const readyMs = performance.now();
        const count = sm.mvcc.range({ key: Uint8Array.of(0), rangeEnd: Uint8Array.of(0), countOnly: true }).count;
        await sm.disk?.close();
        resolveReport({
          baseline,
          stream: { writeSeconds: writeMs / 1000, bytes: streamBytes, receiveSeconds: (writtenMs - firstChunkMs) / 1000, installSeconds: (readyMs - writtenMs) / 1000, keys: count },
        });
      })().catch(rejectReport);
    };
    const transport = new PeerTransport({
      id: 2,
      clusterId: CLUSTER_ID,
      listen: { host: '127.0.0.1', port: 0 },
      handler,
      logger: silentLogger,
      openSnapshotSink: async (_from, metadata, format) => (format === 'image' ? timed(new ImageSink(metadata)) : timed(await receiver.openSink(metadata))),
    });
    console.log(`URL ${await transport.start()}`);
    const report = await done;
    // Let the acknowledgement go out before closing.
    await new Promise((r) => setTimeout(r, 200));
    await transport.close();
    console.log(`REPORT ${JSON.stringify(report)}`);
    await receiver.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Plain LevelDB: `keys` records of the stream's sizes, 512 KiB batches, one synced write at the end. */
async function diskBaseline(path: string): Promise<{ bytes: number; seconds: number }> {
  const db = new Level(path, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  const value = new Uint8Array(valueBytes + 30).fill(7); // a sealed revision record: header, key, fields, value
  const started = performance.now();
  let bytes = 0;
  let batch: { type: 'put'; key: Uint8Array; value: Uint8Array }[] = [];
  let batchBytes = 0;
  for (let i = 0; i < keys; i++) {
    const key = new Uint8Array(17);
    new DataView(key.buffer).setUint32(9, i + 2);
    key[0] = 0x11;
    batch.push({ type: 'put', key, value });
    batchBytes += key.byteLength + value.byteLength;
    if (batchBytes >= BASELINE_BATCH_BYTES) {
      await db.batch(batch);
      bytes += batchBytes;
      batch = [];
      batchBytes = 0;
    }
  }
  if (batch.length > 0) await db.batch(batch);
  bytes += batchBytes;
  await db.put(Uint8Array.of(0x10), Uint8Array.of(1), { sync: true });
  const seconds = (performance.now() - started) / 1000;
  await db.close();
  return { bytes, seconds };
}

// ------------------------------------------------------------------------------------------ leader

async function buildLeader(path: string): Promise<MvccDisk> {
  const { disk } = await MvccDisk.open(path);
  const value = new Uint8Array(valueBytes).fill(0x61);
  const enc = new TextEncoder();
  for (let i = 0; i < keys; i++) {
    const main = i + 2;
    const key = enc.encode(`key-${String(i).padStart(8, '0')}`);
    disk.write({ main, sub: 0 }, { key, kv: { key, createRevision: main, modRevision: main, version: 1, value, lease: 0 } });
    if (i % 5_000 === 4_999) await disk.commit(0);
  }
  disk.putMeta('mvcc', { currentRevision: keys + 1, compactRevision: 0 });
  disk.putMeta('leases', { nextId: 1, leases: [] });
  disk.putMeta('members', { members: [], removed: [] });
  await disk.commit(CONSISTENT_INDEX, true);
  return disk;
}

async function leader(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'halyard-bench-leader-'));
  let child: ChildProcess | undefined;
  let transport: PeerTransport | undefined;
  try {
    const buildStarted = performance.now();
    let disk = await buildLeader(join(dir, 'mvcc'));
    console.log(`leader database: ${keys} keys × ${valueBytes} B built in ${((performance.now() - buildStarted) / 1000).toFixed(1)} s`);
    let imageState: KvStateMachine | undefined;
    if (mode === 'image') {
      await disk.close();
      const o = await StateMachineDisk.open(join(dir, 'mvcc'));
      imageState = new KvStateMachine(o.mvcc, o.dedupe, o.members, o.removed, o.journal);
      disk = o.journal.disk;
    }
    child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--follower', '--keys', String(keys), '--value-bytes', String(valueBytes)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
    });
    const line = async (prefix: string): Promise<string> => {
      for (;;) {
        const found = lines.find((l) => l.startsWith(prefix));
        if (found !== undefined) return found.slice(prefix.length);
        if (child!.exitCode !== null) throw new Error(`follower exited with ${child!.exitCode}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const followerUrl = await line('URL ');
    const metadata: SnapshotMetadata = { index: CONSISTENT_INDEX, term: 1, confState: { voters: [1, 2], learners: [] } };
    const sourceDisk = disk;
    let readMs = 0;
    let sent: (ok: boolean) => void = () => undefined;
    const acknowledged = new Promise<boolean>((resolve) => (sent = resolve));
    transport = new PeerTransport({
      id: 1,
      clusterId: CLUSTER_ID,
      listen: { host: '127.0.0.1', port: 0 },
      handler: () => undefined,
      logger: silentLogger,
      onSnapshotSent: (_peer, _index, ok) => sent(ok),
      openSnapshotSource: async (msg) => {
        const source =
          imageState === undefined
            ? await openMvccSnapshotSource(sourceDisk, msg.snapshot.metadata, SNAPSHOT_CHUNK_SIZE_BYTES_DEFAULT)
            : imageSource({ metadata: msg.snapshot.metadata, data: imageState.serialize() }, SNAPSHOT_CHUNK_SIZE_BYTES_DEFAULT);
        return {
          ...source,
          next: async () => {
            const t = performance.now();
            const piece = await source.next();
            readMs += performance.now() - t;
            return piece;
          },
          close: () => source.close(),
        };
      },
    });
    await transport.start();
    transport.setPeer(2, followerUrl);
    while (transport.peerStatus(2)?.connected !== true) await new Promise((r) => setTimeout(r, 20));
    global.gc?.();
    const rssBeforeBytes = process.memoryUsage().rss;
    let rssMaxBytes = rssBeforeBytes;
    const sampler = setInterval(() => (rssMaxBytes = Math.max(rssMaxBytes, process.memoryUsage().rss)), 50);
    const started = performance.now();
    transport.send({ type: 'snapshot', from: 1, to: 2, term: 1, snapshot: { metadata, data: new Uint8Array(0) } });
    const ok = await acknowledged;
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const report = JSON.parse(await line('REPORT ')) as FollowerReport;
    const b = report.baseline;
    const s = report.stream;
    console.log(`mode ${mode}; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`disk baseline (plain LevelDB, 512 KiB batches, one sync): ${mb(b.bytes)} MB in ${b.seconds.toFixed(2)} s = ${mb(b.bytes / b.seconds)} MB/s`);
    console.log(`snapshot ${ok ? 'acknowledged' : 'FAILED'}: ${mb(s.bytes)} MB, send → ack ${seconds.toFixed(2)} s`);
    console.log(`  follower: received and written in ${s.receiveSeconds.toFixed(2)} s = ${mb(s.bytes / s.receiveSeconds)} MB/s (${((s.bytes / s.receiveSeconds / (b.bytes / b.seconds)) * 100).toFixed(0)}% of the baseline; ${s.writeSeconds.toFixed(2)} s of it in LevelDB batches); sync + open + rebuild ${s.installSeconds.toFixed(2)} s; ${s.keys} keys`);
    console.log(`  leader: ${(readMs / 1000).toFixed(2)} s reading the source`);
    console.log(`  leader RSS: ${mb(rssBeforeBytes)} MB before, ${mb(rssMaxBytes)} MB at most during (+${mb(rssMaxBytes - rssBeforeBytes)} MB)`);
    await (imageState?.disk ?? disk).close();
  } finally {
    await transport?.close();
    if (child !== undefined && child.exitCode === null && child.pid !== undefined) process.kill(child.pid);
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--follower')) await follower();
else await leader();
