// Entry sizes for flow control and the uncommitted-tail bound, and the invariant helper.
import { describe, expect, it } from 'vitest';
import { RaftError, entrySizeBytes, invariant } from './types.ts';

describe('entrySizeBytes', () => {
  it('a normal entry: 24 bytes of header plus its data', () => {
    expect(entrySizeBytes({ type: 'normal', term: 1, index: 1, data: new Uint8Array(10) })).toBe(34);
  });

  it('a configuration change: 40 bytes plus its context, if any', () => {
    expect(entrySizeBytes({ type: 'confChange', term: 1, index: 1, change: { type: 'addVoter', nodeId: 2 } })).toBe(40);
    expect(entrySizeBytes({ type: 'confChange', term: 1, index: 1, change: { type: 'addVoter', nodeId: 2, context: new Uint8Array(5) } })).toBe(45);
  });
});

describe('invariant and RaftError', () => {
  it('invariant throws with the message when the condition fails, and not otherwise', () => {
    expect(() => invariant(false, 'x < y')).toThrow('raft invariant violated: x < y');
    expect(() => invariant(1, 'fine')).not.toThrow();
  });

  it('RaftError carries a stable code and the leader it knows (none by default)', () => {
    const e = new RaftError('NotLeader', 'no', 3);
    expect([e.code, e.leaderId, e.name, e.message]).toEqual(['NotLeader', 3, 'RaftError', 'no']);
    expect(new RaftError('Compacted', 'gone').leaderId).toBe(0);
  });
});
