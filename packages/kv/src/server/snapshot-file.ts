// Snapshot files (`halyard kv snapshot save | status | restore`, etcd's snapshot db): a member's whole
// replicated state at one applied index, checksummed, with what is needed to describe it and to start a
// new cluster from it. Layout: MAGIC, then a msgpack record, then the SHA-256 of everything before it
// (etcd likewise appends a SHA-256 to its snapshot db so `restore` can refuse a damaged file).
import { createHash } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Member } from '@halyard/kv-client/protocol';
import type { Snapshot } from '../raft/types.ts';
import { DiskStorage } from '../storage/disk-storage.ts';
import { DedupeTable } from './dedupe.ts';
import { clusterIdOf, memberIdOf } from './ids.ts';
import { hashKv } from './kv-hash.ts';
import type { KvMember } from './member.ts';
import { packValue, unpackValue } from './payload.ts';
import { KvStateMachine } from './state-machine.ts';

const MAGIC = Buffer.from('HALYSNAP', 'latin1');
const SHA256_BYTES = 32;

/** What a snapshot file says about itself. */
export interface SnapshotMeta {
  readonly v: 1;
  /** Version of the member that wrote it. */
  readonly version: string;
  readonly revision: number;
  readonly appliedIndex: number;
  readonly raftTerm: number;
  readonly clusterId: number;
  readonly memberId: number;
  readonly createdAtMs: number;
}

interface SnapshotRecord extends SnapshotMeta {
  /** KvStateMachine.serialize(): the MVCC store, the dedupe table, the member list. */
  readonly stateMachine: Uint8Array;
}

/** A snapshot file was damaged or is not one: the CLI reports it as a failure. */
export class SnapshotFileError extends Error {
  override readonly name = 'SnapshotFileError';
}

/** The file bytes of `member`'s state as applied now. */
export function snapshotOf(member: KvMember, version: string): Uint8Array {
  const st = member.status();
  const record: SnapshotRecord = {
    v: 1,
    version,
    revision: member.sm.mvcc.revision,
    appliedIndex: st.applied,
    raftTerm: st.term,
    clusterId: member.ids.clusterId,
    memberId: member.ids.memberId,
    createdAtMs: Date.now(),
    stateMachine: member.sm.serialize(),
  };
  const body = Buffer.concat([MAGIC, packValue(record)]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

function readRecord(file: Uint8Array): SnapshotRecord {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (bytes.byteLength < MAGIC.byteLength + SHA256_BYTES || !bytes.subarray(0, MAGIC.byteLength).equals(MAGIC)) throw new SnapshotFileError('not a halyard snapshot file');
  const body = bytes.subarray(0, bytes.byteLength - SHA256_BYTES);
  const expected = bytes.subarray(bytes.byteLength - SHA256_BYTES);
  if (!createHash('sha256').update(body).digest().equals(expected)) throw new SnapshotFileError('snapshot file is damaged: its SHA-256 does not match its contents');
  let v: unknown;
  try {
    v = unpackValue(body.subarray(MAGIC.byteLength));
  } catch (e) {
    throw new SnapshotFileError(`snapshot file is damaged: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = v as Partial<SnapshotRecord> | null;
  const ints = [r?.revision, r?.appliedIndex, r?.raftTerm, r?.clusterId, r?.memberId, r?.createdAtMs];
  if (r === null || typeof r !== 'object' || r.v !== 1 || typeof r.version !== 'string' || !(r.stateMachine instanceof Uint8Array) || !ints.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) {
    throw new SnapshotFileError('snapshot file has an unknown layout');
  }
  return r as SnapshotRecord;
}

export interface SnapshotStatus {
  /** hashKv of the snapshot's key-value state at its revision: equal to `endpoint hashkv --rev` then. */
  readonly hash: number;
  readonly revision: number;
  readonly totalKeys: number;
  readonly totalSizeBytes: number;
  readonly version: string;
  readonly meta: SnapshotMeta;
}

/** Checks a snapshot file and describes it (etcd's `snapshot status`). */
export function snapshotStatus(file: Uint8Array): SnapshotStatus {
  const r = readRecord(file);
  const { mvcc } = KvStateMachine.restore(r.stateMachine);
  const every = new Uint8Array([0]);
  const { count } = mvcc.range({ key: every, rangeEnd: every, countOnly: true });
  const { stateMachine: _sm, ...meta } = r;
  return { hash: hashKv(mvcc, 0).hash, revision: mvcc.revision, totalKeys: count, totalSizeBytes: file.byteLength, version: r.version, meta };
}

export interface RestoreOptions {
  /** The new member's data directory; must not hold a member already. */
  readonly dataDir: string;
  readonly name: string;
  /** Every member of the new cluster, name → peer URL (this one included), as `member run` gets it. */
  readonly initialCluster: ReadonlyMap<string, string>;
  readonly clusterToken: string;
}

export interface RestoreResult {
  readonly memberId: number;
  readonly clusterId: number;
  readonly revision: number;
}

/**
 * etcd's `snapshot restore`: a data directory for one member of a NEW cluster holding the snapshot's
 * keys, values, revisions and leases. The membership is the one given, not the snapshot's, and the
 * cluster starts over as etcd's does: the Raft log begins with a snapshot at index = number of members,
 * term 1, every member a voter. Run it once per member with the same snapshot and initial cluster, then
 * start each with `member run` and the same flags.
 */
export async function restoreSnapshot(file: Uint8Array, o: RestoreOptions): Promise<RestoreResult> {
  const r = readRecord(file);
  const peerUrl = o.initialCluster.get(o.name);
  if (peerUrl === undefined) throw new SnapshotFileError(`--initial-cluster must list the member ${o.name}`);
  const raftDir = join(o.dataDir, 'raft');
  if ((await readdir(raftDir).catch(() => [])).length > 0) throw new SnapshotFileError(`data-dir ${o.dataDir} already holds a member; restore into a new directory`);
  const members: Member[] = [...o.initialCluster].map(([name, url]) => ({ id: memberIdOf(name, [url], o.clusterToken), name, peerUrls: [url], clientUrls: [], isLearner: false }));
  const { mvcc } = KvStateMachine.restore(r.stateMachine);
  // The old cluster's dedupe table and removed ids mean nothing to the new one.
  const sm = new KvStateMachine(mvcc, new DedupeTable(), members, []);
  const index = members.length;
  const snapshot: Snapshot = { metadata: { index, term: 1, confState: { voters: members.map((m) => m.id).sort((a, b) => a - b), learners: [] } }, data: sm.serialize() };
  await mkdir(o.dataDir, { recursive: true });
  const { storage } = await DiskStorage.open(raftDir);
  try {
    await storage.saveReady({ hardState: { term: 1, vote: 0, commit: index }, entries: [], snapshot });
  } finally {
    await storage.close();
  }
  return { memberId: memberIdOf(o.name, [peerUrl], o.clusterToken), clusterId: clusterIdOf(o.clusterToken), revision: mvcc.revision };
}
