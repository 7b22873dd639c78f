// Which failures a request is retried after (retry.ts): a write carrying a requestId may be re-sent
// whenever its outcome is unknown, because the state machine deduplicates it; a membership change only
// when it provably never took effect. Backoff is exponential with full jitter, bounded.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KvError, type KvErrorCode } from '../protocol/errors.ts';
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, ConnectionLostError, backoffMs, decideRetry, isAlreadyInFlight, sleep } from './retry.ts';

const err = (code: KvErrorCode, message = 'x', extra: Record<string, unknown> = {}): KvError => new KvError(code, message, extra);

describe('decideRetry', () => {
  it.each([
    ['a non-KvError (a bug) is never retried', new Error('boom'), 'always', 'fail'],
    ['a lost connection: a deduplicated request is re-sent elsewhere', new ConnectionLostError('e', true, 'reset'), 'always', 'next'],
    ['a lost connection after sending a membership change: outcome unknown, not retried', new ConnectionLostError('e', true, 'reset'), 'unsent', 'fail'],
    ['a lost connection before sending: nothing happened, retried even for membership', new ConnectionLostError('e', false, 'dial'), 'unsent', 'next'],
    ['our own earlier attempt still in flight on the leader: ask the same member again', err('InvalidRequest', 'request c-1 already in flight'), 'always', 'again'],
    ['"already in flight" for a non-deduplicated request is just an error', err('InvalidRequest', 'request c-1 already in flight'), 'unsent', 'fail'],
    ['any other InvalidRequest fails', err('InvalidRequest', 'bad key'), 'always', 'fail'],
    ['NotLeader without a hint: try the next member', err('NotLeader'), 'always', 'next'],
    ['NotLeader with an empty hint: try the next member', err('NotLeader', 'x', { leaderEndpoint: '' }), 'always', 'next'],
    ['Unavailable: try the next member', err('Unavailable'), 'unsent', 'next'],
    ['Stopping: try the next member', err('Stopping'), 'unsent', 'next'],
    ['a member\'s Timeout: a requestId retry resolves the unknown outcome', err('Timeout'), 'always', 'next'],
    ['a member\'s Timeout on a membership change: unknown outcome, not retried', err('Timeout'), 'unsent', 'fail'],
    ['a deterministic refusal (Compacted) fails at once', err('Compacted'), 'always', 'fail'],
  ] as const)('%s', (_name, error, policy, kind) => {
    expect(decideRetry(error, policy)).toEqual({ kind });
  });

  it('NotLeader naming the leader redirects there', () => {
    expect(decideRetry(err('NotLeader', 'x', { leaderEndpoint: 'http://b:1' }), 'unsent')).toEqual({ kind: 'redirect', leaderEndpoint: 'http://b:1' });
  });

  it('a lost connection is an Unavailable error naming the endpoint and the reason, and whether the request left', () => {
    const e = new ConnectionLostError('http://a:1', true, 'reset');
    expect(e).toMatchObject({ code: 'Unavailable', message: 'connection to http://a:1 lost: reset', endpoint: 'http://a:1', sent: true });
  });

  it('only the "already in flight" InvalidRequest is recognised as such', () => {
    expect(isAlreadyInFlight(err('InvalidRequest', 'request c-9 already in flight'))).toBe(true);
    expect(isAlreadyInFlight(err('InvalidRequest', 'already done'))).toBe(false);
    expect(isAlreadyInFlight(err('Unavailable', 'already in flight'))).toBe(false);
  });
});

describe('backoffMs: exponential, full jitter, capped', () => {
  it('is between half the cap and the cap, the cap doubling from BACKOFF_BASE_MS per attempt', () => {
    expect(backoffMs(0, () => 0)).toBe(BACKOFF_BASE_MS / 2 - 0.5);
    expect(backoffMs(0, () => 0.999999)).toBe(BACKOFF_BASE_MS - 1);
    expect(backoffMs(1, () => 0)).toBe(BACKOFF_BASE_MS);
    expect(backoffMs(2, () => 0)).toBe(BACKOFF_BASE_MS * 2);
    expect(backoffMs(3, () => 0.5)).toBe(Math.floor(BACKOFF_BASE_MS * 8 * 0.75));
  });

  it(`never exceeds BACKOFF_MAX_MS (${BACKOFF_MAX_MS}), however many attempts`, () => {
    expect(backoffMs(10, () => 0.999999)).toBe(BACKOFF_MAX_MS - 1);
    expect(backoffMs(10, () => 0)).toBe(BACKOFF_MAX_MS / 2);
    expect(backoffMs(1_000, () => 0.999999)).toBe(BACKOFF_MAX_MS - 1);
  });

  it('is at least 1 ms', () => {
    expect(backoffMs(0, () => -10)).toBe(1);
  });

  it('uses Math.random by default', () => {
    const spy = vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(backoffMs(1)).toBe(BACKOFF_BASE_MS);
    spy.mockRestore();
  });
});

describe('sleep', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves after the given time', async () => {
    vi.useFakeTimers();
    let done = false;
    void sleep(100).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  });

  it('rejects with the reason at once when the signal is already aborted', async () => {
    const c = new AbortController();
    c.abort(new Error('gone'));
    await expect(sleep(10_000, c.signal)).rejects.toThrow('gone');
  });

  it('rejects with the reason as soon as the signal aborts, and stops its timer', async () => {
    vi.useFakeTimers();
    const c = new AbortController();
    const p = sleep(10_000, c.signal);
    c.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('after resolving it no longer listens to the signal', async () => {
    vi.useFakeTimers();
    const c = new AbortController();
    const remove = vi.spyOn(c.signal, 'removeEventListener');
    const p = sleep(5, c.signal);
    await vi.advanceTimersByTimeAsync(5);
    await p;
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
  });
});
