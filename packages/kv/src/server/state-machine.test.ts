// The replicated state machine's rules: a command is applied at most once per requestId (the apply-time
// dedupe check: a retry that reaches the log twice, e.g. once through the old leader and once through the
// new one, answers with the first outcome and changes nothing); deterministic MVCC errors are outcomes,
// anything else crashes; membership follows configuration changes; a snapshot restores all of it.
import { describe, expect, it } from 'vitest';
import type { Command, Member } from '@halyard/kv-client/protocol';
import { MvccStore } from '../mvcc/store.ts';
import { DedupeTable } from './dedupe.ts';
import { encodeMemberContext, packValue } from './payload.ts';
import { KvStateMachine } from './state-machine.ts';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const put = (key: string, value: string): Command => ({ type: 'put', key: b(key), value: b(value) });
const cmd = (requestId: string, command: Command) => ({ kind: 'command' as const, requestId, command });
const member = (id: number, name: string, extra: Partial<Member> = {}): Member => ({ id, name, peerUrls: [`http://p${id}`], clientUrls: [], isLearner: false, ...extra });

describe('apply-time dedupe (exactly-once writes across retries)', () => {
  it('the same requestId applied twice changes the store once and answers both times with the first outcome', () => {
    const sm = new KvStateMachine();
    const first = sm.applyPayload(cmd('c1-1', put('k', 'v1')));
    expect(first).toMatchObject({ ok: true, response: { type: 'put', header: { revision: 2 } } });
    const again = sm.applyPayload(cmd('c1-1', put('k', 'v1')));
    expect(again).toEqual(first);
    expect(sm.mvcc.revision).toBe(2);
  });

  it('a retry is answered from the table even when its command differs (the id, not the content, identifies it)', () => {
    const sm = new KvStateMachine();
    sm.applyPayload(cmd('c1-1', put('k', 'v1')));
    sm.applyPayload(cmd('c1-1', put('k', 'v2')));
    const r = sm.mvcc.range({ key: b('k') });
    expect(new TextDecoder().decode(r.kvs[0]?.value)).toBe('v1');
  });

  it('distinct requestIds are distinct writes', () => {
    const sm = new KvStateMachine();
    sm.applyPayload(cmd('c1-1', put('k', 'v1')));
    const second = sm.applyPayload(cmd('c1-2', put('k', 'v1')));
    expect(second).toMatchObject({ ok: true, response: { header: { revision: 3 } } });
  });

  it('a refused command is an outcome, remembered like a success (every member refuses it alike)', () => {
    const sm = new KvStateMachine();
    const refused = sm.applyPayload(cmd('c1-1', { type: 'leaseRevoke', id: 99 }));
    expect(refused).toMatchObject({ ok: false, error: { code: 'LeaseNotFound' } });
    expect(sm.dedupe.get('c1-1')).toEqual(refused);
    expect(sm.mvcc.revision).toBe(1);
  });

  it('an error that is not a deterministic MVCC refusal is a bug: it crashes the apply', () => {
    const mvcc = new MvccStore();
    mvcc.apply = () => {
      throw new TypeError('boom');
    };
    const sm = new KvStateMachine(mvcc);
    expect(() => sm.applyPayload(cmd('c1-1', put('k', 'v')))).toThrow('boom');
    expect(sm.dedupe.get('c1-1')).toBeUndefined();
  });
});

describe('corrupt entries crash the apply instead of being skipped', () => {
  it('an entry payload of an unknown kind', () => {
    expect(() => new KvStateMachine().applyPayload({ kind: 'bogus' } as never)).toThrow('unknown payload {"kind":"bogus"}');
  });

  it('a configuration change of an unknown type', () => {
    expect(() => new KvStateMachine().applyConfChange({ type: 'bogus', nodeId: 1 } as never)).toThrow('unknown conf change bogus');
  });
});

describe('membership', () => {
  it('publish records a member\'s client URLs, and ignores members not in the list', () => {
    const sm = new KvStateMachine(undefined, undefined, [member(1, 'a')]);
    expect(sm.applyPayload({ kind: 'publish', memberId: 1, name: 'a', clientUrls: ['http://c1'] })).toBeUndefined();
    expect(sm.applyPayload({ kind: 'publish', memberId: 9, name: 'z', clientUrls: ['http://c9'] })).toBeUndefined();
    expect(sm.memberList()).toEqual([member(1, 'a', { clientUrls: ['http://c1'] })]);
  });

  it('addVoter/addLearner add from the context; an empty context keeps what was known', () => {
    const sm = new KvStateMachine(undefined, undefined, [member(2, 'b', { clientUrls: ['http://c2'] })]);
    sm.applyConfChange({ type: 'addLearner', nodeId: 3, context: encodeMemberContext({ name: 'c', peerUrls: ['http://p3'] }) });
    sm.applyConfChange({ type: 'addVoter', nodeId: 2, context: encodeMemberContext({ name: '', peerUrls: [] }) });
    sm.applyConfChange({ type: 'addVoter', nodeId: 4 });
    expect(sm.memberList()).toEqual([
      member(2, 'b', { clientUrls: ['http://c2'] }),
      member(3, 'c', { isLearner: true }),
      { id: 4, name: '', peerUrls: [], clientUrls: [], isLearner: false },
    ]);
  });

  it('a context with a name and URLs replaces the old ones', () => {
    const sm = new KvStateMachine(undefined, undefined, [member(2, 'b')]);
    sm.applyConfChange({ type: 'addVoter', nodeId: 2, context: encodeMemberContext({ name: 'b2', peerUrls: ['http://new'] }) });
    expect(sm.memberList()).toEqual([member(2, 'b2', { peerUrls: ['http://new'] })]);
  });

  it('promoteLearner makes a learner a voter; unknown ids are ignored', () => {
    const sm = new KvStateMachine(undefined, undefined, [member(3, 'c', { isLearner: true })]);
    sm.applyConfChange({ type: 'promoteLearner', nodeId: 3 });
    sm.applyConfChange({ type: 'promoteLearner', nodeId: 8 });
    expect(sm.memberList()).toEqual([member(3, 'c')]);
  });

  it('removeNode removes the member and remembers the id; adding it again forgets that', () => {
    const sm = new KvStateMachine(undefined, undefined, [member(1, 'a'), member(2, 'b')]);
    sm.applyConfChange({ type: 'removeNode', nodeId: 2 });
    expect(sm.memberList().map((m) => m.id)).toEqual([1]);
    expect([...sm.removed]).toEqual([2]);
    sm.applyConfChange({ type: 'addVoter', nodeId: 2 });
    expect(sm.removed.has(2)).toBe(false);
  });

  it('the member list is sorted by id', () => {
    const sm = new KvStateMachine(undefined, undefined, [member(3, 'c'), member(1, 'a'), member(2, 'b')]);
    expect(sm.memberList().map((m) => m.id)).toEqual([1, 2, 3]);
  });
});

describe('snapshots', () => {
  it('restore gives back the store, the dedupe table, the members and the removed ids', () => {
    const sm = new KvStateMachine(new MvccStore(), new DedupeTable(), [member(2, 'b'), member(1, 'a')], [7, 5]);
    const first = sm.applyPayload(cmd('c1-1', put('k', 'v')));
    const restored = KvStateMachine.restore(sm.serialize());
    expect(restored.mvcc.revision).toBe(2);
    expect(restored.memberList()).toEqual([member(1, 'a'), member(2, 'b')]);
    expect([...restored.removed]).toEqual([5, 7]);
    // The restored dedupe table still answers the retry: exactly-once holds across a snapshot install.
    expect(restored.applyPayload(cmd('c1-1', put('k', 'v')))).toEqual(first);
    expect(restored.mvcc.revision).toBe(2);
  });

  it('a snapshot written before removal tracking restores with no removed ids; bad ids are dropped', () => {
    const sm = new KvStateMachine();
    const base = { v: 1, mvcc: sm.mvcc.serialize(), dedupe: [], members: [member(1, 'a')] };
    expect([...KvStateMachine.restore(packValue(base)).removed]).toEqual([]);
    expect([...KvStateMachine.restore(packValue({ ...base, removed: [3, 'x', 4] })).removed]).toEqual([3, 4]);
    expect([...KvStateMachine.restore(packValue({ ...base, removed: 'no' })).removed]).toEqual([]);
  });

  it('a snapshot of another format version is refused even when its fields look right', () => {
    const sm = new KvStateMachine();
    const v2 = { v: 2, mvcc: sm.mvcc.serialize(), dedupe: [], members: [] };
    expect(() => KvStateMachine.restore(packValue(v2))).toThrow('corrupt state machine snapshot');
    expect(() => KvStateMachine.restore(packValue({ ...v2, v: 1 }))).not.toThrow();
  });

  it.each([
    ['null', null],
    ['not an object', 5],
    ['another version', { v: 2 }],
    ['mvcc not bytes', { v: 1, mvcc: 'x', dedupe: [], members: [] }],
    ['dedupe not a list', { v: 1, mvcc: new Uint8Array(), dedupe: {}, members: [] }],
    ['members not a list', { v: 1, mvcc: new Uint8Array(), dedupe: [], members: {} }],
  ])('a corrupt snapshot (%s) is refused', (_name, value) => {
    expect(() => KvStateMachine.restore(packValue(value))).toThrow('corrupt state machine snapshot');
  });
});
