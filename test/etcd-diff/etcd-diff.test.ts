// Differential test: the same random operation sequences run against a real etcd (single member, loopback,
// fresh data dir) and against Halyard's MVCC state machine applied directly (the state machine is what
// decides every answer, so it is the right target), over the LevelDB revision backend that members use
// (storage/mvcc-disk.ts), committed after every step so reads come from LevelDB, not the write-back cache. After every
// step the two answers — revisions, create/mod revisions, versions, values, counts, more flags, prevKvs,
// txn branches, error kinds — must be equal. At the end of each run, every retained revision is read back
// from both sides, and an etcd watch (with prevKv) from the run's start is compared with the store's events.
//
// One etcd serves the whole file; each fast-check run starts with the same reset on both sides (delete every
// key, revoke every lease, compact), so the runs stay in lockstep with the shared revision counter.
//
// Etcd found here: etcd 3.4.23 from Debian (package etcd-server, /usr/bin/etcd). Environment: HALYARD_ETCD_BIN,
// HALYARD_DIFF_SEED, HALYARD_DIFF_RUNS, HALYARD_DIFF_STATS=1 (what the generator reached).
//
// Deliberate differences (docs/kv-mvcc.md), each named where the runner or generator accounts for it:
//  - D1 leaseTimeToLive on a missing lease: etcd answers TTL -1; the state machine raises LeaseNotFound
//    (the server will map it to etcd's answer).
//  - D2 leaseTimeToLive keys: etcd lists them in Go map order; we list them ascending.
//  - D3 leaseGrant with id 0: etcd picks a time-based id; we allocate 1, 2, 3 … deterministically
//    (the generator only grants explicit ids).
//  - D4 compaction at revision ≤ 0: etcd accepts it; we refuse it as InvalidRequest (never generated).
//  - D5 lease expiry: etcd expires leases by its own clock; our state machine never does (the leader proposes
//    revokes). Grants use a TTL of an hour so etcd never expires one during a run.
//  - D6 watch from exactly the compact revision: etcd replays that revision from its compacted backend, so a
//    delete at it is lost and prevKvs may be missing; we keep the whole revision, with prevKvs. Watches are
//    compared from compact revision + 1.
//  - D7 prevKv of a key's second change within one revision: ours is the value that change replaced, etcd's
//    the value before the revision (see compareWatch).
//  - D8 a txn whose ignoreValue/ignoreLease put follows a "\0"-ended delete covering its key: etcd 3.4
//    panics (server down); we refuse it with KeyNotFound. Such txns are not sent to etcd (mayCrashEtcd);
//    the store's answer is pinned by a unit test instead.
//
// If etcd-server is not installed this test FAILS (CI installs it): see etcd-process.ts.

import { Etcd3, Range, type IEvent, type IWatchResponse } from 'etcd3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MvccStore } from '@halyard/kv/mvcc';
import { MvccDisk } from '@halyard/kv/storage';
import { opSpecArb, resolveStep, type OpSpec, type Step } from '../../packages/kv/src/mvcc/testing/ops.ts';
import { plainKv, runOnStore, type Outcome, type PlainKv } from '../../packages/kv/src/mvcc/testing/outcome.ts';
import { startEtcd, type EtcdProcess } from './etcd-process.ts';
import { runOnEtcd } from './etcd-runner.ts';
import type { RequestOp, TxnRequest } from '@halyard/kv-client/protocol';

const seed = Number(process.env['HALYARD_DIFF_SEED'] ?? 20_260_125);
const numRuns = Number(process.env['HALYARD_DIFF_RUNS'] ?? 60);
const opsPerRunMax = 40;
/** Bound on the revisions read back at the end of a run. */
const readBackRevisionsMax = 60;

let etcd: EtcdProcess | undefined;
let client: Etcd3 | undefined;
/** The LevelDB revision backend under `store`, and where it lives. */
let disk: MvccDisk | undefined;
let diskDir: string | undefined;
let committedSteps = 0;
/** One Halyard store for the file's lifetime, in lockstep with the one etcd. */
let store = new MvccStore();

/** A new empty store over the backend (a new generation of it: nothing of the previous store is seen). */
function freshStore(): MvccStore {
  (disk as MvccDisk).reset();
  return new MvccStore({ backend: disk as MvccDisk });
}

beforeAll(async () => {
  diskDir = await mkdtemp(join(tmpdir(), 'halyard-etcd-diff-'));
  disk = (await MvccDisk.open(diskDir)).disk;
  store = freshStore();
  etcd = await startEtcd();
  client = new Etcd3({ hosts: etcd.clientUrl });
}, 90_000);

afterAll(async () => {
  if (process.env['HALYARD_DIFF_STATS'] === '1') {
    console.log([...stats].sort().map(([k, n]) => `${n}\t${k}`).join('\n'));
    console.log(`${skippedForD8}\tsteps not sent (D8: may crash etcd)`);
  }
  client?.close();
  await etcd?.stop();
  await disk?.close();
  if (diskDir !== undefined) await rm(diskDir, { recursive: true, force: true });
});

function describeStep(step: Step): string {
  return JSON.stringify(step, (_k, v: unknown) => (v instanceof Uint8Array ? `b'${Buffer.from(v).toString('latin1')}'` : v));
}

/** Outcome kinds seen, to print with HALYARD_DIFF_STATS=1 (is the generator reaching the corners?). */
const stats = new Map<string, number>();
function outcomeKind(o: Outcome): string[] {
  if ('error' in o) return [`error ${o.error}`];
  const r = o.ok;
  switch (r.type) {
    case 'range':
      return [`range${r.more ? ' more' : ''}${r.kvs.length === 0 ? ' empty' : ''}`];
    case 'txn':
      return [`txn ${r.succeeded ? 'then' : 'else'}`, ...r.responses.flatMap((x) => outcomeKind({ ok: x }).map((k) => `  in txn: ${k}`))];
    case 'deleteRange':
      return [`deleteRange ${r.deleted > 0 ? 'some' : 'none'}`];
    default:
      return [r.type];
  }
}

async function both(step: Step, label: string): Promise<Outcome> {
  let theirs: Outcome;
  try {
    theirs = await runOnEtcd(client as Etcd3, step);
  } catch (err) {
    // Not an etcd answer we know (connection lost, etcd crashed …): show what etcd said last.
    throw new Error(`${label}: ${describeStep(step)}: ${(err as Error).message}\netcd log tail:\n${etcd?.log() ?? ''}`, { cause: err });
  }
  const ours = runOnStore(store, step);
  await (disk as MvccDisk).commit(++committedSteps);
  expect(ours, `${label}: ${describeStep(step)}\netcd: ${JSON.stringify(theirs)}`).toEqual(theirs);
  for (const k of outcomeKind(ours)) stats.set(k, (stats.get(k) ?? 0) + 1);
  return ours;
}

/** The same reset on both sides: delete every key, revoke every lease, compact at the current revision. */
async function reset(): Promise<void> {
  await both({ kind: 'command', command: { type: 'deleteRange', key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) } }, 'reset delete');
  for (const lease of store.leases()) await both({ kind: 'command', command: { type: 'leaseRevoke', id: lease.id } }, 'reset revoke');
  if (store.compactRevision < store.revision) {
    await both({ kind: 'command', command: { type: 'compaction', revision: store.revision } }, 'reset compact');
  }
}

interface PlainEvent {
  type: 'put' | 'delete';
  kv: PlainKv;
  prevKv: PlainKv | null;
}

function plainEtcdEvent(e: IEvent): PlainEvent {
  const kv = (x: IEvent['kv']): PlainKv => ({
    key: x.key.toString('latin1'),
    value: x.value.toString('latin1'),
    createRevision: Number(x.create_revision),
    modRevision: Number(x.mod_revision),
    version: Number(x.version),
    lease: Number(x.lease),
  });
  return { type: String(e.type).toLowerCase() === 'put' ? 'put' : 'delete', kv: kv(e.kv), prevKv: e.prev_kv ? kv(e.prev_kv) : null };
}

const watchDeadlineMs = 20_000;

/** Watches every key on etcd from `fromRevision` with prevKv until `count` events came (or the deadline). */
async function etcdEvents(fromRevision: number, count: number): Promise<PlainEvent[]> {
  const theirs: PlainEvent[] = [];
  const watcher = await (client as Etcd3)
    .watch()
    .inRange(new Range(Buffer.from([0]), Buffer.from([0])))
    .startRevision(String(fromRevision))
    .withPreviousKV()
    .create();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`etcd watch delivered ${theirs.length}/${count} events`)), watchDeadlineMs);
      watcher.on('data', (res: IWatchResponse) => {
        theirs.push(...res.events.map(plainEtcdEvent));
        if (theirs.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      });
      watcher.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } finally {
    await watcher.cancel();
  }
  return theirs;
}

/**
 * Watch every key from `fromRevision` with prevKv on etcd and compare with eventsSince on the store: same
 * events, same order (sub-revision order inside a txn), same prevKvs.
 */
async function compareWatch(fromRevision: number): Promise<void> {
  // D7: when one revision changes a key twice (a txn that puts k, then deletes a "\0"-ended range holding
  // k — etcd's duplicate-key check lets that through), etcd's prevKv for the second event is read at the
  // revision before (v3rpc watch: Range at modRevision - 1) — except for a put that creates the key, which
  // never gets one; ours is the value that change replaced. Ours is mapped to etcd's rule here.
  const firstPrev = new Map<string, PlainKv | null>();
  const ours: PlainEvent[] = store.eventsSince(fromRevision).events.map((e) => {
    const id = `${e.kv.modRevision}/${Buffer.from(e.kv.key).toString('latin1')}`;
    const own = e.prevKv ? plainKv(e.prevKv) : null;
    const atPreviousRevision = firstPrev.has(id) ? (firstPrev.get(id) as PlainKv | null) : own;
    if (!firstPrev.has(id)) firstPrev.set(id, own);
    const isCreate = e.type === 'put' && e.kv.createRevision === e.kv.modRevision;
    return { type: e.type, kv: plainKv(e.kv), prevKv: isCreate ? null : atPreviousRevision };
  });
  if (ours.length === 0) return;
  const theirs = await etcdEvents(fromRevision, ours.length);
  expect(ours, `events since ${fromRevision}\nours:   ${JSON.stringify(ours)}\ntheirs: ${JSON.stringify(theirs)}`).toEqual(theirs);
}

/** D8: does this txn hold both a "\0"-ended delete and an ignoreValue/ignoreLease put (any branch, any depth)? */
function mayCrashEtcd(step: Step): boolean {
  if (step.kind !== 'command' || step.command.type !== 'txn') return false;
  const ops: RequestOp[] = [];
  const walk = (t: TxnRequest): void => {
    for (const op of [...t.success, ...t.failure]) {
      ops.push(op);
      if (op.type === 'txn') walk(op);
    }
  };
  walk(step.command);
  const allDelete = ops.some((op) => op.type === 'deleteRange' && op.rangeEnd?.length === 1 && op.rangeEnd[0] === 0);
  const ignoringPut = ops.some((op) => op.type === 'put' && (op.ignoreValue === true || op.ignoreLease === true));
  return allDelete && ignoringPut;
}

let skippedForD8 = 0;

async function runSequence(specs: readonly OpSpec[]): Promise<void> {
  await reset();
  const startRevision = store.revision;
  for (const [i, spec] of specs.entries()) {
    const step = resolveStep(spec, { currentRevision: store.revision, compactRevision: store.compactRevision });
    if (mayCrashEtcd(step)) {
      // D8: etcd 3.4 may panic on this txn (taking the test down with it), so the step goes to neither side;
      // our answer to it is pinned by store.test.ts and checked against the model by model.test.ts.
      skippedForD8++;
      continue;
    }
    await both(step, `step ${i}`);
  }
  // Read every retained revision of this run back from both sides.
  const from = Math.max(startRevision, store.compactRevision, store.revision - readBackRevisionsMax);
  for (let revision = from; revision <= store.revision; revision++) {
    await both(
      { kind: 'command', command: { type: 'range', key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]), revision } },
      `read back revision ${revision}`,
    );
  }
  // Start after the compact revision: at exactly the compact revision etcd may lose tombstones and prevKvs
  // (difference D6 below), which is not a disagreement about anything else.
  await compareWatch(Math.max(startRevision, store.compactRevision) + 1);
  store.assertInvariants();
}

describe('Halyard MVCC vs a real etcd', () => {
  it('starts like etcd: revision 1 on an empty store, first write at 2', async () => {
    store = freshStore();
    await both({ kind: 'command', command: { type: 'range', key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) } }, 'empty');
    expect(store.revision).toBe(1);
  });

  it('raises a short lease TTL to the minimum as etcd does, and refuses one above the maximum', async () => {
    // etcd's minimum is ⌈1.5 × election timeout⌉ = 2 s with its default 1 s election timeout; ours is an
    // option defaulting to the same.
    await both({ kind: 'command', command: { type: 'leaseGrant', id: 901, ttlSeconds: 1 } }, 'short ttl');
    await both({ kind: 'command', command: { type: 'leaseGrant', id: 902, ttlSeconds: -5 } }, 'negative ttl');
    await both({ kind: 'command', command: { type: 'leaseGrant', id: 903, ttlSeconds: 9_000_000_001 } }, 'ttl too large');
    await both({ kind: 'command', command: { type: 'leaseGrant', id: 904, ttlSeconds: 9_000_000_000 } }, 'largest ttl');
    await both({ kind: 'leaseTimeToLive', id: 901, keys: true }, 'short ttl, time to live');
    for (const id of [901, 902, 904]) await both({ kind: 'command', command: { type: 'leaseRevoke', id } }, 'revoke');
  });

  it('D3: a grant with id 0 gets an id on both sides (etcd: time-based; ours: the next free small id)', async () => {
    // etcd's ids are int64 beyond 2^53: keep its id as the string the client gives.
    const theirs = await (client as Etcd3).leaseClient.leaseGrant({ ID: 0, TTL: 60 });
    const ours = store.apply({ type: 'leaseGrant', id: 0, ttlSeconds: 60 });
    expect(BigInt(theirs.ID)).toBeGreaterThan(0n);
    expect(ours.id).toBeGreaterThan(0);
    expect({ ttl: ours.ttlSeconds, revision: ours.header.revision }).toEqual({ ttl: Number(theirs.TTL), revision: Number(theirs.header.revision) });
    await (client as Etcd3).leaseClient.leaseRevoke({ ID: theirs.ID });
    store.apply({ type: 'leaseRevoke', id: ours.id });
  });

  it('bounds a nested txn by what its parent leaves of --max-txn-ops, as etcd does', async () => {
    const ranges = (n: number) => Array.from({ length: n }, () => ({ type: 'range' as const, key: new Uint8Array([0x61]) }));
    const nested = (outer: number, inner: number): Step => ({
      kind: 'command',
      command: { type: 'txn', compare: [], success: [...ranges(outer), { type: 'txn', compare: [], success: ranges(inner), failure: [] }], failure: [] },
    });
    for (const [outer, inner] of [[100, 27], [100, 28], [99, 28], [0, 127], [0, 128]] as const) {
      await both(nested(outer, inner), `nested ${outer}+${inner}`);
    }
  });

  it('D6: from exactly the compact revision we still deliver its delete and prevKvs; etcd loses them', async () => {
    await reset();
    const put = (key: string, value: string): Step => ({ kind: 'command', command: { type: 'put', key: Buffer.from(key), value: Buffer.from(value) } });
    await both(put('k', 'v1'), 'D6 put k');
    await both(put('j', 'v1'), 'D6 put j');
    await both(
      {
        kind: 'command',
        command: { type: 'txn', compare: [], success: [{ type: 'deleteRange', key: Buffer.from('k') }, { type: 'put', key: Buffer.from('j'), value: Buffer.from('v2') }], failure: [] },
      },
      'D6 txn',
    );
    const compactAt = store.revision;
    await both(put('x', 'later'), 'D6 put x');
    // physical: wait until etcd's backend has really dropped the compacted revisions.
    await (client as Etcd3).kv.compact({ revision: compactAt, physical: true });
    store.apply({ type: 'compaction', revision: compactAt });
    const show = (e: PlainEvent): string => `${e.type} ${e.kv.key}@${e.kv.modRevision} prev=${e.prevKv?.value ?? '-'}`;
    const ours = store.eventsSince(compactAt).events.map((e) => show({ type: e.type, kv: plainKv(e.kv), prevKv: e.prevKv ? plainKv(e.prevKv) : null }));
    const theirs = (await etcdEvents(compactAt, 2)).map(show);
    expect(ours).toEqual([`delete k@${compactAt} prev=v1`, `put j@${compactAt} prev=v1`, `put x@${compactAt + 1} prev=-`]);
    expect(theirs).toEqual([`put j@${compactAt} prev=-`, `put x@${compactAt + 1} prev=-`]);
  });

  it('matches etcd step by step on random sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opSpecArb(), { minLength: 10, maxLength: opsPerRunMax, size: 'max' }), runSequence),
      // No shrinking: a failed run leaves the two sides out of lockstep, so shrunk replays would mislead.
      // The failing step is reported with its index; the seed replays the run.
      { seed, numRuns, endOnFailure: true },
    );
  });
});
