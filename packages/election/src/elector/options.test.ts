// client-go's NewLeaderElector rules, one row each, plus ours (whole seconds, bounded identity).
import { describe, expect, it } from 'vitest';
import { isElectionError } from '../errors.ts';
import type { LeaseLock } from '../lock.ts';
import { electorConfig, jitteredMs, type LeaderElectorOptions } from './options.ts';

const lock: LeaseLock = {
  description: 'test',
  get: () => Promise.resolve(undefined),
  create: () => Promise.reject(new Error('unused')),
  update: () => Promise.reject(new Error('unused')),
};
const base: LeaderElectorOptions = { lock, identity: 'a', callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} } };

describe('electorConfig', () => {
  it('defaults to Kubernetes’ 15 s / 10 s / 2 s, no release, one-shot', () => {
    const c = electorConfig(base);
    expect([c.leaseDurationMs, c.renewDeadlineMs, c.retryPeriodMs, c.releaseOnCancel, c.reCampaign, c.name]).toEqual([15_000, 10_000, 2_000, false, false, 'test']);
  });

  it.each<[string, Partial<LeaderElectorOptions>, string]>([
    ['leaseDuration must exceed renewDeadline', { leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }, 'must be greater than renewDeadlineMs'],
    ['renewDeadline must exceed 1.2 × retryPeriod', { renewDeadlineMs: 2_400, retryPeriodMs: 2_000 }, 'must be greater than retryPeriodMs × 1.2'],
    ['leaseDuration > 0', { leaseDurationMs: 0 }, 'leaseDurationMs must be greater than zero'],
    ['renewDeadline > 0', { renewDeadlineMs: -1 }, 'renewDeadlineMs must be greater than zero'],
    ['retryPeriod > 0', { retryPeriodMs: 0 }, 'retryPeriodMs must be greater than zero'],
    ['no NaN', { retryPeriodMs: Number.NaN }, 'retryPeriodMs must be greater than zero'],
    ['whole seconds of lease', { leaseDurationMs: 15_500 }, 'whole number of seconds'],
    ['identity not empty', { identity: '' }, 'identity must not be empty'],
    ['identity bounded', { identity: 'x'.repeat(257) }, 'at most 256'],
    ['onStartedLeading required', { callbacks: { onStoppedLeading: () => {} } as never }, 'onStartedLeading'],
    ['onStoppedLeading required', { callbacks: { onStartedLeading: () => {} } as never }, 'onStoppedLeading'],
    ['a lock', { lock: {} as never }, 'lock must be a LeaseLock'],
  ])('%s', (_rule, override, message) => {
    let err: unknown;
    try {
      electorConfig({ ...base, ...override });
    } catch (e) {
      err = e;
    }
    expect(isElectionError(err, 'InvalidConfig')).toBe(true);
    expect((err as Error).message).toContain(message);
  });

  it('accepts the edge that client-go accepts: renewDeadline just above 1.2 × retryPeriod', () => {
    expect(electorConfig({ ...base, leaseDurationMs: 3_000, renewDeadlineMs: 2_401, retryPeriodMs: 2_000 }).renewDeadlineMs).toBe(2_401);
  });

  it('jitter is client-go’s: retryPeriod × [1, 2.2)', () => {
    expect(jitteredMs(2_000, () => 0)).toBe(2_000);
    expect(jitteredMs(2_000, () => 0.5)).toBe(3_200);
    expect(jitteredMs(2_000, () => 0.999_999)).toBeLessThan(4_400);
  });
});
