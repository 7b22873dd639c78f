// The state machine on LevelDB (storage/mvcc-disk.ts through state-machine-disk.ts): the MVCC rules over the
// LevelDB revision backend answer as over the memory backend, compaction removes old revisions a bounded
// number per commit, and a reopened directory holds exactly the state committed with its applied index.

import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import type { Command } from '@halyard/kv-client/protocol';
import { MvccStore } from '../mvcc/store.ts';
import { PREFIX_REVISION } from '../storage/mvcc-keys.ts';
import { tempDir } from '../storage/test-helpers.ts';
import { encodeMemberContext } from './payload.ts';
import { KvStateMachine } from './state-machine.ts';
import { StateMachineDisk } from './state-machine-disk.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const all = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
let cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function dir(): Promise<string> {
  const t = await tempDir('mvcc-disk');
  cleanups.push(t.cleanup);
  return t.dir;
}

async function openSm(path: string, options: { removalsPerCommitMax?: number } = {}): Promise<{ sm: KvStateMachine; journal: StateMachineDisk; consistentIndex: number }> {
  const o = await StateMachineDisk.open(path, options);
  cleanups.push(() => o.journal.close());
  return { sm: new KvStateMachine(o.mvcc, o.dedupe, o.members, o.removed, o.journal), journal: o.journal, consistentIndex: o.consistentIndex };
}

async function countRevisionRecords(path: string): Promise<number> {
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  let n = 0;
  for await (const _ of db.keys({ gte: Uint8Array.of(PREFIX_REVISION), lt: Uint8Array.of(PREFIX_REVISION + 1) })) n++;
  await db.close();
  return n;
}

function apply(sm: KvStateMachine, id: string, command: Command): void {
  sm.applyPayload({ kind: 'command', requestId: id, command });
}

describe('KvStateMachine over LevelDB', () => {
  it('reads at every revision what the memory backend reads, before and after a commit and a reopen', async () => {
    const path = await dir();
    const { sm, journal } = await openSm(path);
    const memory = new MvccStore();
    const commands: Command[] = [
      { type: 'put', key: enc('a'), value: enc('1') },
      { type: 'put', key: enc('b'), value: enc('2') },
      { type: 'put', key: enc('a'), value: enc('3') },
      { type: 'deleteRange', key: enc('b') },
      { type: 'txn', compare: [{ key: enc('a'), target: 'value', result: 'equal', value: enc('3') }], success: [{ type: 'put', key: enc('c'), value: enc('4') }], failure: [] },
    ];
    commands.forEach((c, i) => {
      apply(sm, `r${i}`, c);
      memory.apply(c);
    });
    // Before the commit: served from the write-back cache.
    for (let rev = 1; rev <= memory.revision; rev++) expect(sm.mvcc.range({ ...all, revision: rev })).toEqual(memory.range({ ...all, revision: rev }));
    await sm.commit(5, true);
    expect(journal.disk.cachedRevisions).toBe(0);
    // After: served from LevelDB.
    for (let rev = 1; rev <= memory.revision; rev++) expect(sm.mvcc.range({ ...all, revision: rev })).toEqual(memory.range({ ...all, revision: rev }));
    const before = sm.serialize();
    await journal.close();
    cleanups.pop();

    const reopened = await openSm(path);
    expect(reopened.consistentIndex).toBe(5);
    expect(reopened.sm.mvcc.revision).toBe(memory.revision);
    reopened.sm.mvcc.assertInvariants();
    expect(reopened.sm.serialize()).toEqual(before);
    expect(reopened.sm.mvcc.eventsSince(1)).toEqual(memory.eventsSince(1));
  });

  it('keeps leases, the dedupe table and the member list across a reopen', async () => {
    const path = await dir();
    const { sm, journal } = await openSm(path);
    sm.applyConfChange({ type: 'addVoter', nodeId: 7, context: encodeMemberContext({ name: 'seven', peerUrls: ['http://127.0.0.1:7'] }) });
    apply(sm, 'g', { type: 'leaseGrant', id: 0, ttlSeconds: 30 });
    apply(sm, 'p', { type: 'put', key: enc('k'), value: enc('v'), lease: 1 });
    apply(sm, 'c', { type: 'leaseCheckpoint', checkpoints: [{ id: 1, remainingTtlSeconds: 12 }] });
    await sm.commit(4, false);
    await journal.close();
    cleanups.pop();

    const { sm: again, consistentIndex } = await openSm(path);
    expect(consistentIndex).toBe(4);
    expect(again.mvcc.leaseTimeToLive(1, true)).toEqual({ id: 1, grantedTtlSeconds: 30, remainingTtlSeconds: 12, keys: [enc('k')] });
    expect(again.dedupe.get('p')).toEqual(sm.dedupe.get('p'));
    expect(again.memberList().map((m) => m.id)).toEqual([7]);
    // A retried request is answered from the reopened dedupe table, not applied again.
    apply(again, 'p', { type: 'put', key: enc('k'), value: enc('v'), lease: 1 });
    expect(again.duplicatesIgnored).toBe(1);
    expect(again.mvcc.revision).toBe(sm.mvcc.revision);
  });

  it('trims the stored dedupe log as the table evicts, so a reopen holds the same table', async () => {
    const path = await dir();
    const o = await StateMachineDisk.open(path, { dedupeEntriesMax: 3 });
    const sm = new KvStateMachine(o.mvcc, o.dedupe, [], [], o.journal);
    for (let i = 0; i < 5; i++) apply(sm, `id${i}`, { type: 'put', key: enc(`k${i}`), value: enc('v') });
    await sm.commit(5, false);
    await o.journal.close();
    const again = await StateMachineDisk.open(path, { dedupeEntriesMax: 3 });
    cleanups.push(() => again.journal.close());
    expect(again.dedupe.entries().map(([id]) => id)).toEqual(['id2', 'id3', 'id4']);
    expect(again.dedupe.entries()).toEqual(sm.dedupe.entries());
  });

  it('compaction deletes old revisions from LevelDB, a bounded number per commit', async () => {
    const path = await dir();
    const { sm, journal } = await openSm(path, { removalsPerCommitMax: 4 });
    for (let i = 0; i < 10; i++) apply(sm, `w${i}`, { type: 'put', key: enc('k'), value: enc(`v${i}`) });
    await sm.commit(10, false);
    apply(sm, 'compact', { type: 'compaction', revision: sm.mvcc.revision });
    // Revisions 2..11 hold the ten puts; compaction at 11 keeps 10 (prevKv of the event at 11) and 11.
    expect(journal.disk.removalsPending).toBe(8);
    await sm.commit(11, false);
    expect(journal.disk.removalsPending).toBe(4);
    await sm.commit(11, false);
    expect(journal.disk.removalsPending).toBe(0);
    await journal.close();
    cleanups.pop();
    expect(await countRevisionRecords(path)).toBe(2);
    const { sm: again } = await openSm(path);
    expect(again.mvcc.range({ key: enc('k') }).kvs.map((kv) => new TextDecoder().decode(kv.value))).toEqual(['v9']);
    expect(again.mvcc.eventsSince(11).events.map((e) => new TextDecoder().decode(e.prevKv?.value))).toEqual(['v8']);
  });

  it('a reopen finishes a compaction whose removals a crash cut short', async () => {
    const path = await dir();
    const { sm, journal } = await openSm(path, { removalsPerCommitMax: 1 });
    for (let i = 0; i < 6; i++) apply(sm, `w${i}`, { type: 'put', key: enc('k'), value: enc(`v${i}`) });
    apply(sm, 'compact', { type: 'compaction', revision: sm.mvcc.revision });
    await sm.commit(7, false);
    const before = sm.serialize();
    await journal.close();
    cleanups.pop();
    expect(await countRevisionRecords(path)).toBe(5); // 6 puts, 1 of 4 removals done
    const { sm: again, journal: j2 } = await openSm(path, { removalsPerCommitMax: 10 });
    expect(j2.disk.removalsPending).toBe(3);
    expect(again.serialize()).toEqual(before);
    await again.commit(7, false);
    await j2.close();
    cleanups.pop();
    expect(await countRevisionRecords(path)).toBe(2);
  });

  it('a snapshot restored over a non-empty directory replaces all of it', async () => {
    const path = await dir();
    const { sm, journal } = await openSm(path);
    apply(sm, 'old', { type: 'put', key: enc('old'), value: enc('x') });
    await sm.commit(1, false);
    const source = new KvStateMachine();
    source.applyPayload({ kind: 'command', requestId: 'n', command: { type: 'put', key: enc('new'), value: enc('y') } });
    source.applyPayload({ kind: 'command', requestId: 'n2', command: { type: 'put', key: enc('new'), value: enc('z') } });
    const installed = KvStateMachine.restore(source.serialize(), journal);
    expect(installed.serialize()).toEqual(source.serialize());
    await installed.commit(40, true);
    await journal.close();
    cleanups.pop();
    expect(await countRevisionRecords(path)).toBe(2);
    const { sm: again, consistentIndex } = await openSm(path);
    expect(consistentIndex).toBe(40);
    expect(again.serialize()).toEqual(source.serialize());
    expect(again.dedupe.get('n2')).toEqual(source.dedupe.get('n2'));
  });
});
