// Unit tests of the state machine's semantics, one etcd behaviour per test. The differential test
// (test/etcd-diff) checks the same against a real etcd on random sequences; these pin the cases by name.

import { describe, expect, it } from 'vitest';
import { isMvccError, type MvccErrorCode } from './errors.ts';
import { MvccStore } from './store.ts';
import type { Command, RevisionEvents } from '@halyard/kv-client/protocol';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');
const all = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };

function put(store: MvccStore, key: string, value: string, extra: Partial<Extract<Command, { type: 'put' }>> = {}) {
  return store.apply({ type: 'put', key: b(key), value: b(value), ...extra });
}
function keys(store: MvccStore, revision?: number): string[] {
  return store.range({ ...all, ...(revision !== undefined ? { revision } : {}) }).kvs.map((kv) => `${s(kv.key)}=${s(kv.value)}`);
}
function errorCode(f: () => unknown): MvccErrorCode | undefined {
  try {
    f();
    return undefined;
  } catch (err) {
    if (isMvccError(err)) return err.code;
    throw err;
  }
}

describe('revisions', () => {
  it('an empty store is at revision 1; each put bumps it, even with the same value', () => {
    const store = new MvccStore();
    expect(store.revision).toBe(1);
    expect(put(store, 'a', '1').header.revision).toBe(2);
    expect(put(store, 'a', '1').header.revision).toBe(3);
  });

  it('create/mod revision and version: 1 on create, +1 per put, reset by delete', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'a', '2');
    let kv = store.range({ key: b('a') }).kvs[0];
    expect(kv).toMatchObject({ createRevision: 2, modRevision: 3, version: 2 });
    store.apply({ type: 'deleteRange', key: b('a') });
    put(store, 'a', '3');
    kv = store.range({ key: b('a') }).kvs[0];
    expect(kv).toMatchObject({ createRevision: 5, modRevision: 5, version: 1 });
  });

  it('a delete of nothing does not bump the revision; a delete of several keys bumps it once', () => {
    const store = new MvccStore();
    expect(store.apply({ type: 'deleteRange', key: b('x') })).toMatchObject({ header: { revision: 1 }, deleted: 0 });
    put(store, 'a', '1');
    put(store, 'ab', '2');
    const r = store.apply({ type: 'deleteRange', key: b('a'), rangeEnd: b('b'), prevKv: true });
    expect(r.deleted).toBe(2);
    expect(r.header.revision).toBe(4);
    expect(r.prevKvs.map((kv) => s(kv.key))).toEqual(['a', 'ab']);
    expect(store.revision).toBe(4);
  });

  it('a txn is one revision whatever its number of writes; a read-only txn is none', () => {
    const store = new MvccStore();
    const r = store.apply({
      type: 'txn',
      compare: [],
      success: [
        { type: 'put', key: b('a'), value: b('1') },
        { type: 'put', key: b('b'), value: b('2') },
        { type: 'range', key: b('a') },
      ],
      failure: [],
    });
    expect(r.header.revision).toBe(2);
    expect(store.range({ key: b('a') }).kvs[0]?.modRevision).toBe(2);
    expect(store.range({ key: b('b') }).kvs[0]?.modRevision).toBe(2);
    // the range inside the txn saw the put before it
    expect(r.responses[2]).toMatchObject({ type: 'range', count: 1, header: { revision: 2 } });
    expect(store.apply({ type: 'txn', compare: [], success: [{ type: 'range', key: b('a') }], failure: [] }).header.revision).toBe(2);
  });
});

describe('range', () => {
  const store = new MvccStore();
  for (const k of ['a', 'ab', 'abc', 'b', 'c']) put(store, k, `v-${k}`);

  it('single key, prefix, "\\0" end, limit with more and count', () => {
    expect(keys(store)).toHaveLength(5);
    const prefix = store.range({ key: b('a'), rangeEnd: b('b'), limit: 2 });
    expect(prefix.kvs.map((kv) => s(kv.key))).toEqual(['a', 'ab']);
    expect(prefix).toMatchObject({ more: true, count: 3 });
    expect(store.range({ key: b('b'), rangeEnd: new Uint8Array([0]) }).count).toBe(2);
    expect(store.range({ key: b('zz') })).toMatchObject({ kvs: [], count: 0, more: false });
  });

  it('countOnly returns no kvs; keysOnly drops values', () => {
    expect(store.range({ ...all, countOnly: true, limit: 1 })).toMatchObject({ kvs: [], count: 5, more: false });
    expect(store.range({ key: b('a'), keysOnly: true }).kvs[0]?.value).toEqual(new Uint8Array());
  });

  it('sorts by any target, either way; ties keep key order', () => {
    const desc = store.range({ ...all, sortOrder: 'descend', sortTarget: 'key' });
    expect(desc.kvs.map((kv) => s(kv.key))).toEqual(['c', 'b', 'abc', 'ab', 'a']);
    const byVersion = store.range({ ...all, sortOrder: 'descend', sortTarget: 'version' });
    expect(byVersion.kvs.map((kv) => s(kv.key))).toEqual(['a', 'ab', 'abc', 'b', 'c']);
  });

  it('etcd quirk: order "none" with a non-key target and a limit sorts only the first limit + 1 keys', () => {
    const r = store.range({ ...all, sortTarget: 'modRevision', limit: 1 });
    expect(r.kvs.map((kv) => s(kv.key))).toEqual(['a']);
  });

  it('historical reads; future revision is an error', () => {
    expect(keys(store, 2)).toEqual(['a=v-a']);
    expect(errorCode(() => store.range({ ...all, revision: 7 }))).toBe('FutureRevision');
  });
});

describe('put options', () => {
  it('prevKv, ignoreValue, ignoreLease', () => {
    const store = new MvccStore();
    store.apply({ type: 'leaseGrant', id: 7, ttlSeconds: 10 });
    put(store, 'a', '1', { lease: 7 });
    const r = put(store, 'a', '', { ignoreValue: true, prevKv: true });
    expect(s(r.prevKv?.value ?? new Uint8Array())).toBe('1');
    const kv = store.range({ key: b('a') }).kvs[0];
    // ignoreValue keeps the value; without ignoreLease the lease is replaced (here by none)
    expect(kv).toMatchObject({ version: 2, lease: 0 });
    expect(s(kv?.value ?? new Uint8Array())).toBe('1');
    put(store, 'a', '2', { lease: 7 });
    put(store, 'a', '3', { ignoreLease: true });
    expect(store.range({ key: b('a') }).kvs[0]?.lease).toBe(7);
  });

  it('refuses: missing key for ignoreValue, unknown lease, value with ignoreValue, lease with ignoreLease, empty key', () => {
    const store = new MvccStore();
    expect(errorCode(() => put(store, 'a', '', { ignoreValue: true }))).toBe('KeyNotFound');
    expect(errorCode(() => put(store, 'a', '1', { lease: 9 }))).toBe('LeaseNotFound');
    expect(errorCode(() => put(store, 'a', '1', { ignoreValue: true }))).toBe('ValueProvided');
    expect(errorCode(() => put(store, 'a', '', { lease: 1, ignoreLease: true }))).toBe('LeaseProvided');
    expect(errorCode(() => put(store, '', '1'))).toBe('EmptyKey');
    // a refused command changes nothing
    expect(store.revision).toBe(1);
  });

  it('rejects malformed commands with InvalidRequest and keeps working', () => {
    const store = new MvccStore();
    const bad = [
      { type: 'put', key: 'a', value: b('1') },
      { type: 'put', key: b('a'), value: b('1'), lease: 1.5 },
      { type: 'nope' },
      { type: 'range', key: b('a'), sortOrder: 'sideways' },
      { type: 'txn', compare: [{ key: b('a'), target: 'colour', result: 'equal', operand: 1 }], success: [], failure: [] },
    ];
    for (const command of bad) expect(errorCode(() => store.apply(command as unknown as Command))).toBe('InvalidRequest');
    expect(put(store, 'a', '1').header.revision).toBe(2);
  });
});

describe('txn', () => {
  it('compares on value / version / create / mod / lease with = ≠ < >; missing key: value fails, others are 0', () => {
    const store = new MvccStore();
    put(store, 'a', 'm');
    const cmp = (c: Extract<Command, { type: 'txn' }>['compare'][number]) =>
      store.apply({ type: 'txn', compare: [c], success: [], failure: [] }).succeeded;
    expect(cmp({ key: b('a'), target: 'value', result: 'equal', value: b('m') })).toBe(true);
    expect(cmp({ key: b('a'), target: 'value', result: 'less', value: b('n') })).toBe(true);
    expect(cmp({ key: b('a'), target: 'version', result: 'greater', operand: 0 })).toBe(true);
    expect(cmp({ key: b('a'), target: 'createRevision', result: 'equal', operand: 2 })).toBe(true);
    expect(cmp({ key: b('a'), target: 'modRevision', result: 'notEqual', operand: 2 })).toBe(false);
    expect(cmp({ key: b('a'), target: 'lease', result: 'equal', operand: 0 })).toBe(true);
    expect(cmp({ key: b('zz'), target: 'value', result: 'notEqual', value: b('m') })).toBe(false);
    expect(cmp({ key: b('zz'), target: 'createRevision', result: 'equal', operand: 0 })).toBe(true);
    // a range compare: every key in the range must satisfy it
    put(store, 'ab', 'z');
    expect(cmp({ key: b('a'), rangeEnd: b('b'), target: 'version', result: 'equal', operand: 1 })).toBe(true);
    expect(cmp({ key: b('a'), rangeEnd: b('b'), target: 'value', result: 'equal', value: b('m') })).toBe(false);
  });

  it('runs the failure branch when a compare fails; nested txns compare against the state before the txn', () => {
    const store = new MvccStore();
    const r = store.apply({
      type: 'txn',
      compare: [{ key: b('a'), target: 'version', result: 'greater', operand: 0 }],
      success: [],
      failure: [
        { type: 'put', key: b('a'), value: b('1') },
        {
          type: 'txn',
          // 'a' does not exist before the txn, so this compare fails even though the put above created it
          compare: [{ key: b('a'), target: 'version', result: 'equal', operand: 1 }],
          success: [{ type: 'put', key: b('then'), value: b('') }],
          failure: [{ type: 'put', key: b('else'), value: b('') }],
        },
      ],
    });
    expect(r.succeeded).toBe(false);
    expect(r.responses[1]).toMatchObject({ type: 'txn', succeeded: false, header: { revision: 0 } });
    expect(keys(store)).toEqual(['a=1', 'else=']);
  });

  it('is atomic: a failing check leaves nothing behind', () => {
    const store = new MvccStore();
    const code = errorCode(() =>
      store.apply({
        type: 'txn',
        compare: [],
        success: [
          { type: 'put', key: b('a'), value: b('1') },
          { type: 'put', key: b('b'), value: b('1'), lease: 42 },
        ],
        failure: [],
      }),
    );
    expect(code).toBe('LeaseNotFound');
    expect(store.revision).toBe(1);
    expect(keys(store)).toEqual([]);
  });

  it('a range inside a txn at the current revision does not see the txn\'s own writes', () => {
    const store = new MvccStore();
    put(store, 'a', '1'); // 2
    const r = store.apply({
      type: 'txn',
      compare: [],
      success: [
        { type: 'put', key: b('a'), value: b('2') },
        { type: 'range', key: b('a'), revision: 2 },
        { type: 'range', key: b('a'), rangeEnd: b('b'), revision: 2 },
        { type: 'range', key: b('a') },
      ],
      failure: [],
    });
    const values = r.responses.slice(1).map((x) => (x.type === 'range' ? s(x.kvs[0]?.value ?? new Uint8Array()) : '?'));
    expect(values).toEqual(['1', '1', '2']);
  });

  it('D8: an ignoreLease put of a key deleted earlier in the txn is KeyNotFound (etcd 3.4 panics)', () => {
    const store = new MvccStore();
    put(store, 'k', 'v');
    const code = errorCode(() =>
      store.apply({
        type: 'txn',
        compare: [],
        success: [
          // a "\0"-ended delete slips past the duplicate-key check, as in etcd
          { type: 'deleteRange', key: b('a'), rangeEnd: new Uint8Array([0]) },
          { type: 'put', key: b('k'), value: b(''), ignoreLease: true },
        ],
        failure: [],
      }),
    );
    expect(code).toBe('KeyNotFound');
    expect(keys(store)).toEqual(['k=v']);
    expect(store.revision).toBe(2);
  });

  it('refuses a range at a compacted or future revision before writing anything', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'a', '2');
    store.apply({ type: 'compaction', revision: 3 });
    const txn = (revision: number) =>
      errorCode(() =>
        store.apply({ type: 'txn', compare: [], success: [{ type: 'put', key: b('x'), value: b('') }, { type: 'range', key: b('a'), revision }], failure: [] }),
      );
    expect(txn(2)).toBe('Compacted');
    expect(txn(4)).toBe('FutureRevision');
    expect(store.revision).toBe(3);
  });
});

describe('compaction', () => {
  it('keeps the latest version of live keys, drops deleted ones, refuses old and future revisions', () => {
    const store = new MvccStore();
    put(store, 'a', '1'); // 2
    put(store, 'a', '2'); // 3
    put(store, 'b', '1'); // 4
    store.apply({ type: 'deleteRange', key: b('b') }); // 5
    put(store, 'c', '1'); // 6
    store.apply({ type: 'compaction', revision: 5 });
    expect(keys(store, 5)).toEqual(['a=2']);
    expect(errorCode(() => store.range({ ...all, revision: 4 }))).toBe('Compacted');
    expect(errorCode(() => store.apply({ type: 'compaction', revision: 5 }))).toBe('Compacted');
    expect(errorCode(() => store.apply({ type: 'compaction', revision: 7 }))).toBe('FutureRevision');
    store.apply({ type: 'compaction', revision: 6 });
    expect(keys(store)).toEqual(['a=2', 'c=1']);
    store.assertInvariants();
  });
});

describe('leases', () => {
  it('grant (explicit or allocated id), duplicate id, revoke deletes attached keys in one revision', () => {
    const store = new MvccStore();
    expect(store.apply({ type: 'leaseGrant', id: 0, ttlSeconds: 30 }).id).toBe(1);
    expect(store.apply({ type: 'leaseGrant', id: 5, ttlSeconds: 1 }).ttlSeconds).toBe(2); // raised to the minimum
    expect(store.apply({ type: 'leaseGrant', id: 0, ttlSeconds: 30 }).id).toBe(6);
    expect(errorCode(() => store.apply({ type: 'leaseGrant', id: 5, ttlSeconds: 30 }))).toBe('LeaseExists');
    put(store, 'a', '1', { lease: 5 });
    put(store, 'b', '1', { lease: 5 });
    put(store, 'c', '1', { lease: 1 });
    expect(store.leaseTimeToLive(5, true).keys?.map(s)).toEqual(['a', 'b']);
    const before = store.revision;
    store.apply({ type: 'leaseRevoke', id: 5 });
    expect(store.revision).toBe(before + 1);
    expect(keys(store)).toEqual(['c=1']);
    expect(store.leases().map((l) => l.id)).toEqual([1, 6]);
    expect(errorCode(() => store.apply({ type: 'leaseRevoke', id: 5 }))).toBe('LeaseNotFound');
    expect(errorCode(() => store.leaseTimeToLive(5))).toBe('LeaseNotFound');
    // revoking a lease without keys changes no revision
    store.apply({ type: 'leaseRevoke', id: 6 });
    expect(store.revision).toBe(before + 1);
    store.assertInvariants();
  });

  it('a put moves a key between leases; a delete detaches it', () => {
    const store = new MvccStore();
    store.apply({ type: 'leaseGrant', id: 1, ttlSeconds: 30 });
    store.apply({ type: 'leaseGrant', id: 2, ttlSeconds: 30 });
    put(store, 'a', '1', { lease: 1 });
    put(store, 'a', '2', { lease: 2 });
    expect(store.leaseTimeToLive(1, true).keys).toEqual([]);
    expect(store.leaseTimeToLive(2, true).keys?.map(s)).toEqual(['a']);
    store.apply({ type: 'deleteRange', key: b('a') });
    expect(store.leaseTimeToLive(2, true).keys).toEqual([]);
    store.assertInvariants();
  });

  it('checkpoints record the remaining TTL (0 clears it); unknown ids are ignored; no revision', () => {
    const store = new MvccStore();
    store.apply({ type: 'leaseGrant', id: 1, ttlSeconds: 300 });
    store.apply({ type: 'leaseCheckpoint', checkpoints: [{ id: 1, remainingTtlSeconds: 120 }, { id: 99, remainingTtlSeconds: 5 }] });
    expect(store.leaseTimeToLive(1)).toEqual({ id: 1, grantedTtlSeconds: 300, remainingTtlSeconds: 120 });
    store.apply({ type: 'leaseCheckpoint', checkpoints: [{ id: 1, remainingTtlSeconds: 0 }] });
    expect(store.leaseTimeToLive(1).remainingTtlSeconds).toBe(0);
    expect(store.revision).toBe(1);
  });
});

describe('events for watchers', () => {
  it('eventsSince returns ordered events with prevKv; a compacted start is an error naming the compact revision', () => {
    const store = new MvccStore();
    const seen: RevisionEvents[] = [];
    const unsubscribe = store.subscribe((e) => seen.push(e));
    put(store, 'a', '1'); // 2
    store.apply({
      type: 'txn',
      compare: [],
      success: [
        { type: 'put', key: b('b'), value: b('1') },
        { type: 'put', key: b('a'), value: b('2') },
      ],
      failure: [],
    }); // 3
    store.apply({ type: 'deleteRange', key: b('a') }); // 4
    expect(seen.map((e) => e.revision)).toEqual([2, 3, 4]);
    const events = store.eventsSince(3).events;
    expect(events.map((e) => `${e.type} ${s(e.kv.key)}@${e.kv.modRevision} prev=${e.prevKv ? s(e.prevKv.value) : '-'}`)).toEqual([
      'put b@3 prev=-',
      'put a@3 prev=1',
      'delete a@4 prev=2',
    ]);
    expect(store.eventsSince(2, { key: b('b') }).events).toHaveLength(1);
    expect(store.eventsSince(5)).toEqual({ events: [], nextRevision: 5 });
    store.apply({ type: 'compaction', revision: 3 });
    expect(store.eventsSince(3).events).toHaveLength(3); // the compact revision itself is still complete
    let err: unknown;
    try {
      store.eventsSince(2);
    } catch (e) {
      err = e;
    }
    expect(isMvccError(err, 'Compacted') && err.compactRevision).toBe(3);
    unsubscribe();
    put(store, 'c', '1');
    expect(seen).toHaveLength(3);
  });

  it('eventsSince is bounded by revisionsMax and says where to continue', () => {
    const store = new MvccStore();
    for (let i = 0; i < 10; i++) put(store, `k${i}`, '');
    const first = store.eventsSince(2, undefined, 4);
    expect(first.events).toHaveLength(4);
    expect(first.nextRevision).toBe(6);
    expect(store.eventsSince(first.nextRevision).events).toHaveLength(6);
  });
});

describe('snapshot', () => {
  it('restore(serialize()) gives a store that answers and continues exactly like the original', () => {
    const store = new MvccStore();
    store.apply({ type: 'leaseGrant', id: 3, ttlSeconds: 60 });
    put(store, 'a', '1', { lease: 3 });
    put(store, 'b\xff', '2');
    put(store, 'a', '3', { ignoreLease: true });
    store.apply({ type: 'deleteRange', key: b('b\xff') });
    store.apply({ type: 'compaction', revision: 3 });
    store.apply({ type: 'leaseCheckpoint', checkpoints: [{ id: 3, remainingTtlSeconds: 17 }] });
    const copy = MvccStore.restore(store.serialize());
    for (const st of [store, copy]) put(st, 'c', '4');
    expect(copy.revision).toBe(store.revision);
    expect(copy.compactRevision).toBe(3);
    for (let rev = 3; rev <= store.revision; rev++) expect(keys(copy, rev)).toEqual(keys(store, rev));
    expect(copy.eventsSince(3)).toEqual(store.eventsSince(3));
    expect(copy.leases()).toEqual(store.leases());
    expect(copy.serialize()).toEqual(store.serialize());
    copy.apply({ type: 'leaseRevoke', id: 3 });
    expect(keys(copy)).toEqual(['c=4']);
  });

  it('refuses bytes that are not a snapshot', () => {
    expect(errorCode(() => MvccStore.restore(new Uint8Array([1, 2, 3])))).toBe('InvalidRequest');
  });
});
