// The one mapping from internal errors to wire errors: the Raft codes a client can meet.
import { describe, expect, it } from 'vitest';
import { RaftError } from '../raft/types.ts';
import { toWireError } from './wire-errors.ts';

describe('toWireError for Raft errors', () => {
  it('a transfer to a non-voter is the caller’s mistake (InvalidRequest), not an internal error', () => {
    expect(toWireError(new RaftError('TransferTargetNotVoter', 'node 4 is a learner'))).toEqual({ code: 'InvalidRequest', message: 'node 4 is a learner' });
  });

  it('a dropped proposal (no leader, transfer in progress) is retryable elsewhere (Unavailable)', () => {
    expect(toWireError(new RaftError('ProposalDropped', 'transfer')).code).toBe('Unavailable');
  });

  it('a full read queue is TooManyRequests (etcd ErrTooManyRequests)', () => {
    expect(toWireError(new RaftError('ReadQueueFull', 'full')).code).toBe('TooManyRequests');
  });
});
