import { describe, expect, it } from 'vitest';
import { isElectionError } from './errors.ts';
import { formatMicroTime, isRfc3339 } from './micro-time.ts';
import { parseRecordJson, recordJson, validateRecord, type LeaseRecord } from './record.ts';

describe('MicroTime', () => {
  it('formats epoch microseconds as RFC 3339 UTC with exactly six fractional digits', () => {
    expect(formatMicroTime(1_700_000_000_123_456)).toBe('2023-11-14T22:13:20.123456Z');
    expect(formatMicroTime(0)).toBe('1970-01-01T00:00:00.000000Z');
    expect(formatMicroTime(1_000_001)).toBe('1970-01-01T00:00:01.000001Z');
  });

  it.each([
    ['2023-11-14T22:13:20.123456Z', true],
    ['2023-11-14T22:13:20Z', true],
    ['2023-11-14T22:13:20.5+02:00', true],
    ['2023-11-14 22:13:20Z', false],
    ['2023-13-14T22:13:20Z', false],
    ['yesterday', false],
  ])('isRfc3339(%s) = %s', (text, ok) => expect(isRfc3339(text)).toBe(ok));
});

describe('lease record', () => {
  const record: LeaseRecord = { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: '2023-11-14T22:13:20.123456Z', renewTime: '2023-11-14T22:13:22.000001Z', leaseTransitions: 2 };

  it('round-trips through the JSON the KV lock stores, with exactly the Lease spec fields', () => {
    const json = recordJson(record);
    expect(Object.keys(JSON.parse(json) as object)).toEqual(['holderIdentity', 'leaseDurationSeconds', 'acquireTime', 'renewTime', 'leaseTransitions']);
    expect(parseRecordJson(json, 'k')).toEqual(record);
  });

  it('absent fields take the Lease spec’s zero values', () => {
    expect(validateRecord({}, 'k')).toEqual({ holderIdentity: '', leaseDurationSeconds: 0, leaseTransitions: 0 });
  });

  it.each<[string, unknown]>([
    ['not JSON object', [1]],
    ['unknown field', { ...record, preferredHolder: 'b' }],
    ['holder not a string', { ...record, holderIdentity: 7 }],
    ['negative duration', { ...record, leaseDurationSeconds: -1 }],
    ['fractional duration', { ...record, leaseDurationSeconds: 1.5 }],
    ['huge duration', { ...record, leaseDurationSeconds: 10 ** 9 }],
    ['bad time', { ...record, renewTime: 'now' }],
    ['negative transitions', { ...record, leaseTransitions: -1 }],
  ])('refuses %s', (_what, value) => {
    let err: unknown;
    try {
      validateRecord(value, 'k');
    } catch (e) {
      err = e;
    }
    expect(isElectionError(err, 'InvalidRecord')).toBe(true);
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseRecordJson('{', 'k')).toThrow(/not JSON/);
  });

  it('a Lease spec may carry fields leader election does not use', () => {
    expect(validateRecord({ ...record, strategy: 'OldestEmulationVersion' }, 'lease', true)).toEqual(record);
  });
});
