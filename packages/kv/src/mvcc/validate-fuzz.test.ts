// Robustness: a command decoded off the wire can be anything. Whatever arrives, `apply` either answers or
// throws an MvccError — never a TypeError from deep inside — and the store stays consistent and usable.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMvccError } from './errors.ts';
import { MvccStore } from './store.ts';
import type { Command } from '@halyard/kv-client/protocol';

const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer({ min: -3, max: 3 }),
  fc.double(),
  fc.string({ maxLength: 3 }),
  fc.boolean(),
  fc.uint8Array({ maxLength: 3 }),
  fc.constant({}),
  fc.constant([]),
  fc.constant([null]),
);
const bytes = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 2 }), junk);
const field = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: arb }, { weight: 1, arbitrary: junk });

const compareArb = fc.record(
  {
    key: bytes,
    rangeEnd: bytes,
    target: field(fc.constantFrom('value', 'version', 'createRevision', 'modRevision', 'lease')),
    result: field(fc.constantFrom('equal', 'notEqual', 'less', 'greater')),
    value: bytes,
    operand: field(fc.integer({ min: -1, max: 5 })),
  },
  { requiredKeys: [] },
);

const commandArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  op: fc.oneof(
    fc.record(
      {
        type: fc.constantFrom('put', 'range', 'deleteRange', 'txn', 'compaction', 'leaseGrant', 'leaseRevoke', 'leaseCheckpoint', 'bogus'),
        key: bytes,
        value: bytes,
        rangeEnd: bytes,
        lease: field(fc.integer({ min: -1, max: 3 })),
        limit: field(fc.integer({ min: -2, max: 3 })),
        revision: field(fc.integer({ min: -2, max: 30 })),
        sortOrder: field(fc.constantFrom('none', 'ascend', 'descend')),
        sortTarget: field(fc.constantFrom('key', 'version', 'createRevision', 'modRevision', 'value')),
        prevKv: field(fc.boolean()),
        ignoreValue: field(fc.boolean()),
        ignoreLease: field(fc.boolean()),
        countOnly: field(fc.boolean()),
        keysOnly: field(fc.boolean()),
        id: field(fc.integer({ min: -1, max: 4 })),
        ttlSeconds: field(fc.integer({ min: -1, max: 100 })),
        checkpoints: field(fc.array(fc.oneof(fc.record({ id: field(fc.integer({ min: 0, max: 4 })), remainingTtlSeconds: field(fc.nat(50)) }), junk), { maxLength: 2 })),
        compare: field(fc.array(fc.oneof(compareArb, junk), { maxLength: 2 })),
        success: field(fc.array(fc.oneof(tie('op'), junk), { maxLength: 3 })),
        failure: field(fc.array(fc.oneof(tie('op'), junk), { maxLength: 2 })),
      },
      { requiredKeys: ['type'] },
    ),
    junk,
  ),
})).op;

describe('apply on garbage', () => {
  it('answers or throws MvccError, and the store stays consistent', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 30 }), (commands) => {
        const store = new MvccStore();
        for (const command of commands) {
          try {
            store.apply(command as Command);
          } catch (err) {
            if (!isMvccError(err)) throw err;
          }
        }
        store.assertInvariants();
        expect(store.apply({ type: 'put', key: new Uint8Array([1]), value: new Uint8Array() }).header.revision).toBe(store.revision);
      }),
      { seed: Number(process.env['HALYARD_FUZZ_SEED'] ?? 99), numRuns: Number(process.env['HALYARD_FUZZ_RUNS'] ?? 500) },
    );
  });
});
