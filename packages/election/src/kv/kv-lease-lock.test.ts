// KvLeaseLock and fenced writes against real KV members running in this process (the KV package's own
// test helper), then real-clock electors over them, across a stop of the KV leader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElector } from '../elector/leader-elector.ts';
import type { LeadingLease } from '../elector/leading-term.ts';
import { isElectionError } from '../errors.ts';
import type { ObservedLease } from '../lock.ts';
import type { LeaseRecord } from '../record.ts';
import { RealMembers } from '../testing/kv-internals.testutil.ts';
import { bytesToString, KvClient, op } from './kv-client.ts';
import { KvLeaseLock } from './kv-lease-lock.ts';

let members: RealMembers;
let kv: KvClient;
const record: LeaseRecord = { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: '2024-05-01T12:00:00.000001Z', renewTime: '2024-05-01T12:00:00.000001Z', leaseTransitions: 0 };

beforeAll(async () => {
  members = await RealMembers.start(3);
  kv = new KvClient({ endpoints: members.urls, requestTimeoutMs: 10_000 });
});
afterAll(async () => {
  await kv.close();
  await members.close();
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** A lease that holds as far as the local clock goes, to exercise the store's side of the fence. */
function leaseWith(fencingToken: number): LeadingLease {
  return { identity: 'a', fencingToken, signal: new AbortController().signal, holds: () => true, assertHolds: () => {}, validUntilMs: Number.POSITIVE_INFINITY };
}

describe('KvLeaseLock on real members', () => {
  it('create, get, update on mod revision; the fence key moves only on acquire and release', async () => {
    const lock = new KvLeaseLock({ kv, name: 'basic' });
    expect(await lock.get()).toBeUndefined();
    const created = await lock.create(record);
    expect(created.fencingToken).toBe(Number(created.version));
    const v1 = (await lock.get())!;
    expect(v1).toEqual({ record, version: created.version, fencingToken: created.fencingToken });
    expect(isElectionError(await rejection(lock.create(record)), 'Conflict')).toBe(true);

    const renewed = await lock.update({ ...record, renewTime: '2024-05-01T12:00:02.000001Z' }, v1, 'renew');
    expect(renewed.fencingToken).toBe(created.fencingToken);
    expect(isElectionError(await rejection(lock.update(record, v1, 'renew')), 'Conflict')).toBe(true);

    const v2 = (await lock.get())!;
    const taken = await lock.update({ ...record, holderIdentity: 'b', leaseTransitions: 1 }, v2, 'acquire');
    expect(taken.fencingToken!).toBeGreaterThan(created.fencingToken!);
    expect(bytesToString((await kv.get(lock.keys.fence)).kvs[0]!.value)).toBe('b');
    const stored = JSON.parse(bytesToString((await kv.get(lock.keys.record)).kvs[0]!.value)) as unknown;
    expect(stored).toEqual({ ...record, holderIdentity: 'b', leaseTransitions: 1 });

    await kv.delete(lock.keys.record);
    expect(isElectionError(await rejection(lock.update(record, (await lock.get()) ?? v2, 'renew')), 'NotFound')).toBe(true);
  });

  it('a corrupt record is an InvalidRecord error, not a guess', async () => {
    const lock = new KvLeaseLock({ kv, name: 'corrupt' });
    await kv.put(lock.keys.record, '{"holderIdentity": 3}');
    expect(isElectionError(await rejection(lock.get()), 'InvalidRecord')).toBe(true);
  });

  it('refuses names that would escape its prefix', () => {
    expect(() => new KvLeaseLock({ kv, name: 'a/b' })).toThrow(/election name/);
    expect(() => new KvLeaseLock({ kv, name: '' })).toThrow(/election name/);
  });

  it('fencedTxn applies under the current token and is refused by the store under an old one', async () => {
    const lock = new KvLeaseLock({ kv, name: 'fence' });
    const first = await lock.create(record);
    const ok = await lock.fencedTxn(leaseWith(first.fencingToken!), { success: [op.put('fence/data', 'one')] });
    expect(ok.succeeded).toBe(true);
    const v = (await lock.get())!;
    const second = await lock.update({ ...record, holderIdentity: 'b', leaseTransitions: 1 }, v, 'acquire');
    const err = await rejection(lock.fencedTxn(leaseWith(first.fencingToken!), { success: [op.put('fence/data', 'stale')] }));
    expect(isElectionError(err, 'Deposed')).toBe(true);
    expect((err as Error).message).toContain(`now token ${second.fencingToken}`);
    expect(bytesToString((await kv.get('fence/data')).kvs[0]!.value)).toBe('one');
    // The caller's own compares still work inside the fence.
    const inner = await lock.fencedTxn(leaseWith(second.fencingToken!), { compare: [{ key: 'fence/data', result: '=', target: 'value', value: 'nope' }], success: [op.put('fence/data', 'x')], failure: [op.get('fence/data')] });
    expect(inner.succeeded).toBe(false);
  });

  it('watch: current state, then each version of the record, across a change of holder', async () => {
    const lock = new KvLeaseLock({ kv, name: 'watched' });
    const stop = new AbortController();
    const seen: (ObservedLease | undefined)[] = [];
    let wake: () => void = () => {};
    const consumed = (async () => {
      for await (const o of lock.watch({ signal: stop.signal })) {
        seen.push(o);
        wake();
      }
    })();
    const until = async (n: number): Promise<void> => {
      while (seen.length < n) await new Promise<void>((r) => (wake = r));
    };
    await until(1);
    expect(seen[0]).toBeUndefined();
    const created = await lock.create(record);
    await until(2);
    expect(seen[1]).toEqual({ record, version: created.version, fencingToken: created.fencingToken });
    const taken = await lock.update({ ...record, holderIdentity: 'b', leaseTransitions: 1 }, seen[1]!, 'acquire');
    await until(3);
    expect(seen[2]).toMatchObject({ record: { holderIdentity: 'b' }, fencingToken: taken.fencingToken });
    stop.abort();
    await consumed;
  });
});

describe('LeaderElector over KvLeaseLock on real members (real clock, short durations)', () => {
  const timing = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 300 } as const;

  it('the elected instance keeps leading while the KV leader is stopped, and its fenced writes go on', async () => {
    const lock = new KvLeaseLock({ kv, name: 'ha' });
    let lease: LeadingLease | undefined;
    let stopped = false;
    const stop = new AbortController();
    const run = new LeaderElector({ lock, identity: 'a', ...timing, releaseOnCancel: true, callbacks: { onStartedLeading: (_s, l) => void (lease = l), onStoppedLeading: () => void (stopped = true) } }).run(stop.signal);
    await waitFor(() => lease !== undefined);
    const kvLeader = members.leaderIndex();
    expect(kvLeader).toBeDefined();
    await members.stop(kvLeader!);
    // The remaining two elect a new KV leader well within the renew deadline; renewals continue.
    const before = (await lock.get())!.version;
    await waitFor(async () => (await lock.get().catch(() => undefined))?.version !== before, 20_000);
    expect(lease!.signal.aborted).toBe(false);
    expect(stopped).toBe(false);
    const w = await lock.fencedTxn(lease!, { success: [op.put('ha/data', 'after-failover')] });
    expect(w.succeeded).toBe(true);
    stop.abort();
    await run;
    expect((await lock.get())!.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  });
});

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
