// `halyard kv snapshot save | status | restore`, `move-leader` and `defrag`: etcdctl's maintenance
// commands (definitions in kv-maintenance-commands.ts). status and restore work on a file, offline.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { FieldsPrinter } from './kv-fields.ts';
import { EXIT_ERROR, idHex, UsageError } from './kv-flags.ts';
import type { KvCliIo } from './kv-io.ts';
import { goJson, headerJson } from './kv-json.ts';
import { humanBytes, targets } from './kv-endpoint.ts';
import { errorText, withClient, withFlags } from './kv-run.ts';
import { formatTable } from './table.ts';

/** Largest snapshot file read by status and restore (the client's download limit). */
const SNAPSHOT_FILE_BYTES_MAX = 512 * 1024 * 1024;

export async function snapshotSave(cmd: Command, io: KvCliIo, file: string): Promise<void> {
  await withClient(cmd, io, { kind: 'snapshotSave' }, async (client, flags) => {
    // As etcdctl: a snapshot comes from one member; which one must not be left to failover.
    if (flags.endpoints.length !== 1) throw new UsageError('snapshot must be requested to one selected node, not multiple');
    const target = resolve(file);
    const part = `${target}.part`;
    await mkdir(dirname(target), { recursive: true });
    const handle = await open(part, 'w');
    let saved = false;
    try {
      const r = await client.snapshot(flags.endpoints[0] as string, async (chunk) => void (await handle.write(chunk)));
      await handle.sync();
      await handle.close();
      // Renamed only once complete and checked, so `file` is never a partial snapshot.
      await rename(part, target);
      saved = true;
      io.stdout(`Snapshot saved at ${file}\n`);
      io.stderr(`revision ${r.header.revision}, ${humanBytes(r.sizeBytes)}, sha256 ${r.sha256}\n`);
    } finally {
      if (!saved) {
        await handle.close().catch(() => undefined);
        await rm(part, { force: true });
      }
    }
  });
}

async function readSnapshotFile(file: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size > SNAPSHOT_FILE_BYTES_MAX) throw new Error(`${file} is larger than ${SNAPSHOT_FILE_BYTES_MAX} bytes`);
    } finally {
      await handle.close();
    }
    bytes = await readFile(file);
  } catch (e) {
    throw new Error(`cannot read snapshot ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return bytes;
}

export async function snapshotStatus(cmd: Command, io: KvCliIo, file: string): Promise<void> {
  await withFlags(cmd, io, 'snapshotStatus', async (flags) => {
    const { snapshotStatus: describe } = await import('@halyard/kv/server');
    const s = describe(await readSnapshotFile(file));
    const hash = s.hash.toString(16);
    if (flags.writeOut === 'json') io.stdout(goJson({ hash: s.hash, revision: s.revision, totalKey: s.totalKeys, totalSize: s.totalSizeBytes, version: s.version }));
    else if (flags.writeOut === 'fields') {
      const f = new FieldsPrinter(flags.hex);
      f.snapshotStatus(s);
      io.stdout(f.text());
    } else {
      const row = [hash, String(s.revision), String(s.totalKeys), humanBytes(s.totalSizeBytes), s.version];
      io.stdout(flags.writeOut === 'table' ? formatTable(['hash', 'revision', 'total keys', 'total size', 'version'], [row]) : `${row.join(', ')}\n`);
    }
  });
}

export interface RestoreFlags {
  name: string;
  dataDir: string;
  initialCluster: string;
  initialClusterToken: string;
}

export async function snapshotRestore(cmd: Command, io: KvCliIo, file: string, o: RestoreFlags): Promise<void> {
  await withFlags(cmd, io, 'snapshotRestore', async () => {
    const { restoreSnapshot, parseInitialCluster, ConfigError } = await import('@halyard/kv/server');
    let initialCluster: Map<string, string>;
    try {
      initialCluster = parseInitialCluster(o.initialCluster);
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(e.message);
      throw e;
    }
    if (!initialCluster.has(o.name)) throw new UsageError(`--initial-cluster must list --name ${o.name}`);
    const r = await restoreSnapshot(await readSnapshotFile(file), { dataDir: o.dataDir, name: o.name, initialCluster, clusterToken: o.initialClusterToken });
    io.stdout(
      `restored snapshot ${file} (revision ${r.revision}) into ${o.dataDir}: member ${o.name} (${idHex(r.memberId)}) of a new cluster ${idHex(r.clusterId)}\n` +
        `start it with: halyard kv member run --name ${o.name} --data-dir ${o.dataDir} --listen-peer-url ${initialCluster.get(o.name) ?? ''} --initial-cluster ${o.initialCluster} --initial-cluster-token ${o.initialClusterToken} --listen-client-url …\n`,
    );
  });
}

export async function moveLeader(cmd: Command, io: KvCliIo, targetId: number): Promise<void> {
  await withClient(cmd, io, { kind: 'moveLeader' }, async (client, flags) => {
    const { leader } = await client.status();
    if (leader === 0) throw new Error('no leader right now (election in progress or no quorum)');
    const r = await client.moveLeader(targetId);
    io.stdout(flags.writeOut === 'json' ? goJson({ header: headerJson(r.header) }) : `Leadership transferred from ${idHex(leader)} to ${idHex(targetId)}\n`);
  });
}

/**
 * etcd defragments its bbolt file to give back the pages of deleted and compacted keys. A member's disk
 * here is LevelDB (the Raft log and snapshots), whose own background compaction rewrites its files
 * without the dead records, and the log is cut behind every snapshot: there is nothing to defragment.
 * The command checks each member answers and says so, exiting as etcdctl would (1 when one fails).
 */
export async function defrag(cmd: Command, io: KvCliIo, o: { cluster?: boolean }): Promise<void> {
  await withClient(cmd, io, { kind: 'defrag', connect: o.cluster === true }, async (client, flags) => {
    let failures = 0;
    for (const ep of await targets(client, flags, o.cluster === true)) {
      try {
        const s = await client.status(ep);
        io.stdout(`Nothing to defragment on member[${ep}] (${humanBytes(s.dbSizeBytes)}): LevelDB compacts its files itself\n`);
      } catch (err) {
        failures++;
        io.stderr(`Failed to reach member[${ep}] (${errorText(err)})\n`);
      }
    }
    if (failures > 0) io.setExitCode(EXIT_ERROR);
  });
}
