// The write trace's bookkeeping: off unless asked for, first stamp of a stage wins, a proposal belongs to
// the request that arrived last, and appends/acknowledgements are stamped under the entries they carry.

import { describe, expect, it } from 'vitest';
import type { Message } from '../raft/types.ts';
import { WRITE_TRACE_ENV, WriteTrace } from './write-trace.ts';

const entry = (index: number) => ({ type: 'normal' as const, index, term: 1, data: new Uint8Array(0) });

describe('WriteTrace', () => {
  it('exists only when the environment asks for it', () => {
    expect(WriteTrace.fromEnv(1, {})).toBeUndefined();
    expect(WriteTrace.fromEnv(1, { [WRITE_TRACE_ENV]: '0' })).toBeUndefined();
    expect(WriteTrace.fromEnv(1, { [WRITE_TRACE_ENV]: '1' })).toBeInstanceOf(WriteTrace);
  });

  it('ties a proposal to the request that arrived before it, keeps the first stamp, and stamps messages by entry', () => {
    const t = new WriteTrace(7);
    t.requestArrived();
    t.proposed(5);
    expect(t.takeProposed()).toBe(5);
    // A read proposes nothing: nothing to take.
    t.requestArrived();
    expect(t.takeProposed()).toBeUndefined();
    t.mark(5, 'replySent', 100);
    t.mark(5, 'replySent', 200);
    const append: Message = { type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 4, prevLogTerm: 1, entries: [entry(5), entry(6)], commit: 4 };
    const ack: Message = { type: 'appendResponse', from: 2, to: 1, term: 1, reject: false, index: 6, rejectHint: 0, logTerm: 0 };
    const refusal: Message = { ...ack, reject: true, index: 9 };
    t.sent([append, ack]);
    t.received(refusal);
    const dump = t.dump();
    expect(dump.memberId).toBe(7);
    const at = (i: number) => dump.entries.find((e) => e.index === i)?.stagesNs ?? {};
    expect(Object.keys(at(5)).sort()).toEqual(['appendSent', 'clientRecv', 'proposed', 'replySent']);
    expect(at(5).replySent).toBe(100);
    expect(at(5).clientRecv!).toBeLessThanOrEqual(at(5).proposed!);
    expect(Object.keys(at(6)).sort()).toEqual(['ackSent', 'appendSent']);
    // A refused append is no acknowledgement.
    expect(dump.entries.some((e) => e.index === 9)).toBe(false);
  });
});
