import { describe, expect, it } from 'vitest';
import type { Message } from '../raft/types.ts';
import { pack } from '../storage/msgpack.ts';
import { ShapeError } from '../storage/shape.ts';
import { decodeMessage } from './decode-message.ts';
import { FrameError } from './errors.ts';
import { decodeFrame, encodeFrame } from './frames.ts';

const base = { from: 1, to: 2, term: 5 };

/** One valid message of every variant; the compiler checks the list covers the union's shapes. */
const VALID: readonly Message[] = [
  { ...base, type: 'preVote', lastLogIndex: 10, lastLogTerm: 4 },
  { ...base, type: 'preVoteResponse', reject: true },
  { ...base, type: 'vote', lastLogIndex: 10, lastLogTerm: 4, transfer: false },
  { ...base, type: 'voteResponse', reject: false },
  {
    ...base,
    type: 'append',
    prevLogIndex: 7,
    prevLogTerm: 4,
    commit: 6,
    entries: [
      { type: 'normal', index: 8, term: 5, data: Uint8Array.of(1, 2, 3) },
      { type: 'confChange', index: 9, term: 5, change: { type: 'addVoter', nodeId: 4, context: Uint8Array.of(9) } },
      { type: 'confChange', index: 10, term: 5, change: { type: 'removeNode', nodeId: 3 } },
    ],
  },
  { ...base, type: 'appendResponse', reject: true, index: 7, rejectHint: 5, logTerm: 3 },
  { ...base, type: 'heartbeat', commit: 6, context: 99 },
  { ...base, type: 'heartbeatResponse', context: 99 },
  { ...base, type: 'snapshot', snapshot: { metadata: { index: 40, term: 4, confState: { voters: [1, 2, 3], learners: [4] } }, data: Uint8Array.of(7, 7) } },
  { ...base, type: 'timeoutNow' },
  { ...base, type: 'propose', data: Uint8Array.of(4, 2) },
  { ...base, type: 'readIndex', requestId: 'r-1' },
  { ...base, type: 'readIndexResponse', requestId: 'r-1', index: 9, reject: false },
];

/** Normalise Buffers (what msgpackr decodes bytes to) to plain Uint8Array for deep equality. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function roundTrip(m: Message): Message {
  const frame = decodeFrame(encodeFrame({ t: 'msgs', msgs: [m] }), { messagesPerFrameMax: 10 });
  if (frame.t !== 'msgs') throw new Error(`decoded a '${frame.t}' frame`);
  return frame.msgs[0]!;
}

function shapeErrorPath(v: unknown): string {
  try {
    decodeMessage(v);
  } catch (e) {
    expect(e).toBeInstanceOf(ShapeError);
    return (e as ShapeError).fieldPath;
  }
  throw new Error('expected a ShapeError');
}

describe('decodeMessage', () => {
  it.each(VALID.map((m) => [m.type, m] as const))('round-trips a valid %s through msgpack', (_t, m) => {
    expect(plain(roundTrip(m))).toEqual(plain(m));
  });

  it('drops unknown extra fields instead of passing them through', () => {
    const out = decodeMessage({ ...base, type: 'timeoutNow', extra: 'x', __proto__: { polluted: true } });
    expect(Object.keys(out).sort()).toEqual(['from', 'term', 'to', 'type']);
  });

  it.each([
    ['unknown type', { ...base, type: 'bogus' }, 'msg.type'],
    ['missing type', { ...base }, 'msg.type'],
    ['from 0', { ...base, from: 0, type: 'timeoutNow' }, 'msg.from'],
    ['negative term', { ...base, term: -1, type: 'timeoutNow' }, 'msg.term'],
    ['float term', { ...base, term: 1.5, type: 'timeoutNow' }, 'msg.term'],
    ['string term', { ...base, term: '5', type: 'timeoutNow' }, 'msg.term'],
    ['bigint term', { ...base, term: 5n, type: 'timeoutNow' }, 'msg.term'],
    ['unsafe integer', { ...base, term: 2 ** 60, type: 'timeoutNow' }, 'msg.term'],
    ['missing reject', { ...base, type: 'voteResponse' }, 'msg.reject'],
    ['reject as number', { ...base, type: 'voteResponse', reject: 1 }, 'msg.reject'],
    ['vote without transfer', { ...base, type: 'vote', lastLogIndex: 1, lastLogTerm: 1 }, 'msg.transfer'],
    ['append entries not an array', { ...base, type: 'append', prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: {} }, 'msg.entries'],
    [
      'append entry gap',
      { ...base, type: 'append', prevLogIndex: 3, prevLogTerm: 1, commit: 0, entries: [{ type: 'normal', index: 5, term: 1, data: new Uint8Array(0) }] },
      'msg.entries[0].index',
    ],
    [
      'entry data as string',
      { ...base, type: 'append', prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [{ type: 'normal', index: 1, term: 1, data: 'x' }] },
      'msg.entries[0].data',
    ],
    [
      'bad conf change type',
      { ...base, type: 'append', prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [{ type: 'confChange', index: 1, term: 1, change: { type: 'nuke', nodeId: 2 } }] },
      'msg.entries[0].change.type',
    ],
    [
      'unknown entry type',
      { ...base, type: 'append', prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [{ type: 'weird', index: 1, term: 1 }] },
      'msg.entries[0].type',
    ],
    ['appendResponse without logTerm', { ...base, type: 'appendResponse', reject: false, index: 1, rejectHint: 0 }, 'msg.logTerm'],
    ['heartbeat context missing', { ...base, type: 'heartbeat', commit: 1 }, 'msg.context'],
    ['snapshot without data', { ...base, type: 'snapshot', snapshot: { metadata: { index: 1, term: 1, confState: { voters: [1], learners: [] } } } }, 'msg.snapshot.data'],
    [
      'snapshot voter and learner',
      { ...base, type: 'snapshot', snapshot: { metadata: { index: 1, term: 1, confState: { voters: [1], learners: [1] } }, data: new Uint8Array(0) } },
      'msg.snapshot.metadata.confState',
    ],
    [
      'snapshot duplicate voters',
      { ...base, type: 'snapshot', snapshot: { metadata: { index: 1, term: 1, confState: { voters: [1, 1], learners: [] } }, data: new Uint8Array(0) } },
      'msg.snapshot.metadata.confState.voters',
    ],
    ['propose without data', { ...base, type: 'propose' }, 'msg.data'],
    ['readIndex id too long', { ...base, type: 'readIndex', requestId: 'x'.repeat(300) }, 'msg.requestId'],
    ['readIndexResponse missing index', { ...base, type: 'readIndexResponse', requestId: 'a', reject: false }, 'msg.index'],
    ['not an object', [1, 2, 3], ''],
    ['bytes instead of object', Uint8Array.of(1), ''],
  ])('rejects %s', (_name, value, path) => {
    expect(shapeErrorPath(value)).toBe(path === '' ? 'msg' : path);
  });
});

describe('decodeFrame', () => {
  const limits = { messagesPerFrameMax: 3 };
  const code = (bytes: Uint8Array): string => {
    try {
      decodeFrame(bytes, limits);
    } catch (e) {
      expect(e).toBeInstanceOf(FrameError);
      return (e as FrameError).code;
    }
    return 'ok';
  };

  it('classifies what is wrong with a frame', () => {
    expect(code(new TextEncoder().encode('not msgpack at all'))).toBe('NotMsgpack'); // trailing bytes after one value
    expect(code(Uint8Array.of(0x92, 0x01))).toBe('NotMsgpack'); // truncated
    expect(code(Uint8Array.of(0xc1))).toBe('BadFrame'); // the reserved byte decodes to a sentinel, which is no frame
    expect(code(pack({ t: 'nope' }))).toBe('BadFrame');
    expect(code(pack('a string'))).toBe('BadFrame');
    expect(code(pack({ t: 'hello', v: 1, clusterId: 'c', fromId: 0, toId: 2 }))).toBe('BadFrame');
    expect(code(pack({ t: 'msgs', msgs: [{ type: 'bogus' }] }))).toBe('BadMessage');
    expect(code(pack({ t: 'msgs', msgs: [{ ...base, type: 'timeoutNow' }, { ...base, type: 'timeoutNow' }, { ...base, type: 'timeoutNow' }, { ...base, type: 'timeoutNow' }] }))).toBe(
      'TooLarge',
    );
    expect(code(pack({ t: 'error', code: 'Whatever', message: 'x' }))).toBe('BadFrame');
    expect(code(pack({ t: 'msgs', msgs: [{ ...base, type: 'timeoutNow' }] }))).toBe('ok');
  });
});
