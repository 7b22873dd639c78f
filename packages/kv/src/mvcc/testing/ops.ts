// Random operation sequences for the model-based test and the etcd differential test. Ops are generated
// abstractly (revisions relative to the store's current / compact revision, keys from a small alphabet so
// ops collide) and resolved into concrete commands just before they run, against the revision counters of
// the store under test — which both sides must share for the run to be meaningful.

import fc from 'fast-check';
import type { Command, Compare, CompareResult, RequestOp, SortOrder, SortTarget } from '@halyard/kv-client/protocol';
import { prefixEnd } from '../key-range.ts';

/** Keys as latin1 strings: overlapping prefixes, 0x00 and 0xff bytes (range-end and prefix-end edges). */
export const keyAlphabet = ['\x00', 'a', 'a\x00', 'ab', 'abc', 'b', 'b\xff', 'c', '\xff'] as const;
export const valueAlphabet = ['', 'x', 'y', 'zz'] as const;
/** Lease ids used by specs; id 5 is never granted by the generator's grants half the time: LeaseNotFound. */
export const leaseIds = [1, 2, 3, 4, 5] as const;
/** Long enough that a real etcd never expires a lease during a run. */
export const leaseTtlSeconds = 3600;

export function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

export type RangeEndSpec = { kind: 'none' } | { kind: 'prefix' } | { kind: 'all' } | { kind: 'to'; end: string };
export type RevSpec =
  | { kind: 'current' }
  | { kind: 'back'; n: number }
  | { kind: 'compact'; delta: number }
  | { kind: 'future'; n: number };

export type OpSpec =
  | { kind: 'put'; key: string; value: string; lease: number; prevKv: boolean; ignoreValue: boolean; ignoreLease: boolean }
  | { kind: 'del'; key: string; end: RangeEndSpec; prevKv: boolean }
  | {
      kind: 'range';
      key: string;
      end: RangeEndSpec;
      limit: number;
      rev: RevSpec;
      countOnly: boolean;
      keysOnly: boolean;
      sort: { order: SortOrder; target: SortTarget } | undefined;
    }
  | { kind: 'txn'; compares: CompareSpec[]; success: OpSpec[]; failure: OpSpec[] }
  | { kind: 'bigTxn'; ops: number }
  /** A request with an empty key (etcd: "key is not provided"). */
  | { kind: 'emptyKey'; in: 'put' | 'range' | 'del' | 'compare' }
  | { kind: 'compact'; rev: RevSpec }
  | { kind: 'leaseGrant'; id: number }
  | { kind: 'leaseRevoke'; id: number }
  | { kind: 'leaseTimeToLive'; id: number; keys: boolean }
  | { kind: 'leaseCheckpoint'; id: number; remainingTtlSeconds: number }
  | { kind: 'leases' };

export type CompareSpec =
  | { key: string; end: RangeEndSpec; target: 'value'; result: CompareResult; value: string }
  | { key: string; end: RangeEndSpec; target: 'version' | 'lease'; result: CompareResult; operand: number }
  | { key: string; end: RangeEndSpec; target: 'createRevision' | 'modRevision'; result: CompareResult; rev: RevSpec };

// ------------------------------------------------------------------------------------------- arbitraries

const keyArb = fc.constantFrom(...keyAlphabet);
const valueArb = fc.constantFrom(...valueAlphabet);
const endArb: fc.Arbitrary<RangeEndSpec> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'prefix' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'all' as const }) },
  { weight: 1, arbitrary: keyArb.map((end) => ({ kind: 'to' as const, end })) },
);
/** Deletes of everything are kept rare, or the store would rarely hold enough keys for `more` to show. */
const delEndArb: fc.Arbitrary<RangeEndSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'prefix' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'all' as const }) },
  { weight: 1, arbitrary: keyArb.map((end) => ({ kind: 'to' as const, end })) },
);
const revArb: fc.Arbitrary<RevSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'current' as const }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 6 }).map((n) => ({ kind: 'back' as const, n })) },
  { weight: 2, arbitrary: fc.integer({ min: -1, max: 1 }).map((delta) => ({ kind: 'compact' as const, delta })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }).map((n) => ({ kind: 'future' as const, n })) },
);
const compareResultArb = fc.constantFrom<CompareResult>('equal', 'notEqual', 'less', 'greater');
const compareEndArb: fc.Arbitrary<RangeEndSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'prefix' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'all' as const }) },
);

const compareArb: fc.Arbitrary<CompareSpec> = fc.oneof(
  fc.record({ key: keyArb, end: compareEndArb, target: fc.constant('value' as const), result: compareResultArb, value: valueArb }),
  fc.record({
    key: keyArb,
    end: compareEndArb,
    target: fc.constantFrom('version' as const, 'lease' as const),
    result: compareResultArb,
    operand: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({
    key: keyArb,
    end: compareEndArb,
    target: fc.constantFrom('createRevision' as const, 'modRevision' as const),
    result: compareResultArb,
    rev: revArb,
  }),
);

const putArb = fc
  .record({
    key: keyArb,
    value: valueArb,
    lease: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(...leaseIds) }),
    prevKv: fc.boolean(),
    flags: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
  })
  .map(({ flags, ...p }): OpSpec => ({
    kind: 'put',
    ...p,
    // With ignoreValue, a value is an error (ValueProvided): keep the value empty most of the time.
    value: (flags & 1) !== 0 && p.value.length === 1 ? '' : p.value,
    lease: (flags & 2) !== 0 && p.lease !== 0 && p.value !== 'zz' ? 0 : p.lease,
    ignoreValue: (flags & 1) !== 0,
    ignoreLease: (flags & 2) !== 0,
  }));

const delArb = fc.record({ kind: fc.constant('del' as const), key: keyArb, end: delEndArb, prevKv: fc.boolean() });

const sortArb = fc.option(
  fc.record({
    order: fc.constantFrom<SortOrder>('none', 'ascend', 'descend'),
    target: fc.constantFrom<SortTarget>('key', 'version', 'createRevision', 'modRevision', 'value'),
  }),
  { nil: undefined, freq: 3 },
);

const rangeArb = fc.record({
  kind: fc.constant('range' as const),
  key: keyArb,
  end: endArb,
  limit: fc.constantFrom(0, 0, 1, 1, 1, 2, 3),
  rev: revArb,
  countOnly: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  keysOnly: fc.boolean(),
  sort: sortArb,
});

const flatOpArb: fc.Arbitrary<OpSpec> = fc.oneof(putArb, delArb, rangeArb.map((r): OpSpec => r));

export interface OpSpecOptions {
  readonly leases: boolean;
  readonly bigTxn: boolean;
  /** Grants with id 0 (allocate) and lease checkpoints: not comparable with etcd (its ids are time-based and
   * checkpoints are internal to it), so only the model test asks for them. */
  readonly stateMachineOnly: boolean;
}

export function opSpecArb(options: OpSpecOptions = { leases: true, bigTxn: true, stateMachineOnly: false }): fc.Arbitrary<OpSpec> {
  const innerTxn = fc.record({
    kind: fc.constant('txn' as const),
    compares: fc.array(compareArb, { maxLength: 2 }),
    success: fc.array(flatOpArb, { maxLength: 2 }),
    failure: fc.array(flatOpArb, { maxLength: 2 }),
  });
  const txnOp = fc.oneof({ weight: 6, arbitrary: flatOpArb }, { weight: 1, arbitrary: innerTxn.map((t): OpSpec => t) });
  const txnArb = fc.record({
    kind: fc.constant('txn' as const),
    compares: fc.array(compareArb, { maxLength: 3 }),
    success: fc.array(txnOp, { maxLength: 4 }),
    failure: fc.array(txnOp, { maxLength: 3 }),
  });
  const arbs: { weight: number; arbitrary: fc.Arbitrary<OpSpec> }[] = [
    { weight: 14, arbitrary: putArb },
    { weight: 3, arbitrary: delArb },
    { weight: 6, arbitrary: rangeArb },
    { weight: 7, arbitrary: txnArb },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), rev: revArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('emptyKey' as const), in: fc.constantFrom('put' as const, 'range' as const, 'del' as const, 'compare' as const) }) },
  ];
  if (options.bigTxn) {
    arbs.push({ weight: 1, arbitrary: fc.record({ kind: fc.constant('bigTxn' as const), ops: fc.constantFrom(128, 129) }) });
  }
  if (options.leases) {
    arbs.push(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('leaseGrant' as const), id: fc.constantFrom(...leaseIds) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('leaseRevoke' as const), id: fc.constantFrom(...leaseIds) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('leaseTimeToLive' as const), id: fc.constantFrom(...leaseIds), keys: fc.boolean() }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'leases' as const }) },
    );
  }
  if (options.leases && options.stateMachineOnly) {
    arbs.push(
      { weight: 1, arbitrary: fc.constant({ kind: 'leaseGrant' as const, id: 0 }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('leaseCheckpoint' as const),
          id: fc.constantFrom(...leaseIds),
          remainingTtlSeconds: fc.integer({ min: 0, max: leaseTtlSeconds }),
        }),
      },
    );
  }
  return fc.oneof(...arbs);
}

// ------------------------------------------------------------------------------------------- resolution

/** What a step does once resolved: a command for `apply`, or one of the lease reads. */
export type Step =
  | { readonly kind: 'command'; readonly command: Command }
  | { readonly kind: 'leaseTimeToLive'; readonly id: number; readonly keys: boolean }
  | { readonly kind: 'leases' };

export interface Counters {
  readonly currentRevision: number;
  readonly compactRevision: number;
}

function resolveEnd(key: string, end: RangeEndSpec): Uint8Array | undefined {
  switch (end.kind) {
    case 'none':
      return undefined;
    case 'prefix':
      return prefixEnd(bytes(key));
    case 'all':
      return new Uint8Array([0]);
    case 'to':
      return bytes(end.end);
    default: {
      const unknown: never = end;
      throw new Error(`unknown end ${JSON.stringify(unknown)}`);
    }
  }
}

/** A read revision: 0 means current (etcd's convention). */
function resolveReadRev(rev: RevSpec, c: Counters): number {
  switch (rev.kind) {
    case 'current':
      return 0;
    case 'back':
      return Math.max(1, c.currentRevision - rev.n);
    case 'compact':
      return Math.max(0, c.compactRevision + rev.delta);
    case 'future':
      return c.currentRevision + rev.n;
    default: {
      const unknown: never = rev;
      throw new Error(`unknown rev ${JSON.stringify(unknown)}`);
    }
  }
}

function resolveCompare(spec: CompareSpec, c: Counters): Compare {
  const base = { key: bytes(spec.key), rangeEnd: resolveEnd(spec.key, spec.end), result: spec.result };
  switch (spec.target) {
    case 'value':
      return { ...base, target: 'value', value: bytes(spec.value) };
    case 'version':
    case 'lease':
      return { ...base, target: spec.target, operand: spec.operand };
    case 'createRevision':
    case 'modRevision': {
      const rev = resolveReadRev(spec.rev, c);
      return { ...base, target: spec.target, operand: rev === 0 ? c.currentRevision : rev };
    }
    default: {
      const unknown: never = spec;
      throw new Error(`unknown compare ${JSON.stringify(unknown)}`);
    }
  }
}

function resolveOp(spec: OpSpec, c: Counters): RequestOp {
  switch (spec.kind) {
    case 'put':
      return {
        type: 'put',
        key: bytes(spec.key),
        value: bytes(spec.value),
        ...(spec.lease !== 0 ? { lease: spec.lease } : {}),
        ...(spec.prevKv ? { prevKv: true } : {}),
        ...(spec.ignoreValue ? { ignoreValue: true } : {}),
        ...(spec.ignoreLease ? { ignoreLease: true } : {}),
      };
    case 'del': {
      const rangeEnd = resolveEnd(spec.key, spec.end);
      return { type: 'deleteRange', key: bytes(spec.key), ...(rangeEnd ? { rangeEnd } : {}), ...(spec.prevKv ? { prevKv: true } : {}) };
    }
    case 'range': {
      const rangeEnd = resolveEnd(spec.key, spec.end);
      const revision = resolveReadRev(spec.rev, c);
      return {
        type: 'range',
        key: bytes(spec.key),
        ...(rangeEnd ? { rangeEnd } : {}),
        ...(spec.limit !== 0 ? { limit: spec.limit } : {}),
        ...(revision !== 0 ? { revision } : {}),
        ...(spec.countOnly ? { countOnly: true } : {}),
        ...(spec.keysOnly ? { keysOnly: true } : {}),
        ...(spec.sort ? { sortOrder: spec.sort.order, sortTarget: spec.sort.target } : {}),
      };
    }
    case 'txn':
      return {
        type: 'txn',
        compare: spec.compares.map((x) => resolveCompare(x, c)),
        success: spec.success.map((x) => resolveOp(x, c)),
        failure: spec.failure.map((x) => resolveOp(x, c)),
      };
    case 'bigTxn':
      // Reads only, so that the 128-op case (allowed) does not trip the duplicate-key rule.
      return {
        type: 'txn',
        compare: [],
        success: Array.from({ length: spec.ops }, (_, i) => ({ type: 'range' as const, key: bytes(keyAlphabet[i % keyAlphabet.length] as string) })),
        failure: [],
      };
    case 'emptyKey': {
      const empty = new Uint8Array(0);
      switch (spec.in) {
        case 'put':
          return { type: 'put', key: empty, value: bytes('x') };
        case 'range':
          return { type: 'range', key: empty };
        case 'del':
          return { type: 'deleteRange', key: empty };
        case 'compare':
          return { type: 'txn', compare: [{ key: empty, target: 'version', result: 'equal', operand: 0 }], success: [], failure: [] };
        default: {
          const unknown: never = spec.in;
          throw new Error(`unknown emptyKey ${String(unknown)}`);
        }
      }
    }
    case 'compact':
    case 'leaseGrant':
    case 'leaseRevoke':
    case 'leaseTimeToLive':
    case 'leaseCheckpoint':
    case 'leases':
      throw new Error(`${spec.kind} is not a txn op`);
    default: {
      const unknown: never = spec;
      throw new Error(`unknown op ${JSON.stringify(unknown)}`);
    }
  }
}

export function resolveStep(spec: OpSpec, c: Counters): Step {
  switch (spec.kind) {
    case 'compact': {
      const rev = resolveReadRev(spec.rev, c);
      return { kind: 'command', command: { type: 'compaction', revision: rev === 0 ? c.currentRevision : rev } };
    }
    case 'leaseGrant':
      return { kind: 'command', command: { type: 'leaseGrant', id: spec.id, ttlSeconds: leaseTtlSeconds } };
    case 'leaseRevoke':
      return { kind: 'command', command: { type: 'leaseRevoke', id: spec.id } };
    case 'leaseTimeToLive':
      return { kind: 'leaseTimeToLive', id: spec.id, keys: spec.keys };
    case 'leaseCheckpoint':
      return { kind: 'command', command: { type: 'leaseCheckpoint', checkpoints: [{ id: spec.id, remainingTtlSeconds: spec.remainingTtlSeconds }] } };
    case 'leases':
      return { kind: 'leases' };
    default:
      return { kind: 'command', command: resolveOp(spec, c) };
  }
}
