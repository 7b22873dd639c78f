import { describe, expect, it } from 'vitest';
import type { ObservedLease } from '../lock.ts';
import { Observation } from './observation.ts';

const lease = (holderIdentity: string, version: string, leaseDurationSeconds = 15): ObservedLease => ({ record: { holderIdentity, leaseDurationSeconds, leaseTransitions: 0 }, version });

describe('Observation', () => {
  it('the observed time moves only when the version changes', () => {
    const o = new Observation();
    o.note(lease('a', '5'), 1_000);
    o.note(lease('a', '5'), 9_000);
    expect(o.observedAtMs).toBe(1_000);
    expect(o.expired(15_999)).toBe(false);
    expect(o.expired(16_000)).toBe(true);
    o.note(lease('a', '6'), 10_000);
    expect(o.expired(16_000)).toBe(false);
    expect(o.untilExpiryMs('b', 16_000)).toBe(9_000);
    expect(o.untilExpiryMs('a', 16_000)).toBe(Number.POSITIVE_INFINITY);
  });

  it('ignores a version older than one already seen (a late read after a notification)', () => {
    const o = new Observation();
    o.note(lease('a', '5'), 1_000);
    expect(o.takeNewLeader()).toBe('a');
    o.note(lease('b', '7'), 2_000);
    expect(o.takeNewLeader()).toBe('b');
    o.note(lease('a', '5'), 3_000);
    expect(o.holder).toBe('b');
    expect(o.observedAtMs).toBe(2_000);
    expect(o.takeNewLeader()).toBeUndefined();
  });

  it('announces each change of holder once; an empty holder is not announced and A → none → A is one announcement', () => {
    const o = new Observation();
    const announced: string[] = [];
    for (const [holder, v] of [['a', '1'], ['a', '2'], ['', '3'], ['a', '4'], ['b', '5']] as const) {
      o.note(lease(holder, v), Number(v));
      const l = o.takeNewLeader();
      if (l !== undefined) announced.push(l);
    }
    expect(announced).toEqual(['a', 'b']);
  });

  it('an empty holder or no record has lapsed at once', () => {
    const o = new Observation();
    expect(o.expired(0)).toBe(true);
    o.note(lease('', '3'), 0);
    expect(o.expired(0)).toBe(true);
    o.note(undefined, 1);
    expect(o.expired(1)).toBe(true);
  });
});
