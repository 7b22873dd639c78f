// One scenario per rule of the election (client-go's leaderelection, and ours beyond it), each in a
// simulated world with exact timings: the production elector over the production KV lock on the real MVCC
// store, with an instant network unless the test says otherwise. Defaults: lease 15 s, renew deadline
// 10 s, retry period 2 s.
import { describe, expect, it } from 'vitest';
import { isElectionError } from '../errors.ts';
import { fencedTxn } from '../kv/fenced-txn.ts';
import { op } from '../kv/kv-client.ts';
import { KvLeaseLock } from '../kv/kv-lease-lock.ts';
import type { LeaseLock } from '../lock.ts';
import { observeLeader } from '../observe.ts';
import { FakeClock } from '../fake-clock.ts';
import { simSetup, WORK_KEY } from '../testing/sim-election.ts';
import { LeaderElector } from './leader-elector.ts';
import type { LeadingLease } from './leading-term.ts';

const LEASE_MS = 15_000;
const RENEW_DEADLINE_MS = 10_000;
const RETRY_MS = 2_000;
/** The longest wait between two acquire attempts: retryPeriod × (1 + 1.2). */
const RETRY_JITTERED_MAX_MS = RETRY_MS * 2.2;

describe('acquiring', () => {
  it('simultaneous candidates: exactly one wins, the others see it once and stay standby', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { world, sim } = simSetup({}, seed);
      for (const id of ['a', 'b', 'c', 'd', 'e']) sim.start(id);
      await world.runUntil(60_000);
      const started = sim.startedTerms();
      expect(started).toHaveLength(1);
      const winner = started[0]!.identity;
      // Everyone learned the winner exactly once (the winner too), and no one else ever led.
      for (const id of ['a', 'b', 'c', 'd', 'e']) {
        expect(sim.log.filter((e) => e.type === 'newLeader' && e.identity === id).map((e) => (e.type === 'newLeader' ? e.leader : ''))).toEqual([winner]);
      }
      expect(sim.log.filter((e) => e.type === 'stopped')).toHaveLength(0);
    }
  });

  it('takes over only after the holder’s leaseDuration has passed since the change was OBSERVED, whatever the record’s timestamps say', async () => {
    const { world, sim, toolLock } = simSetup();
    // A holder that is gone, whose record says it renewed in the year 2000: remote timestamps are not
    // compared with our clock, so this does not count as expired.
    await world.settle(toolLock.create({ holderIdentity: 'ghost', leaseDurationSeconds: 15, acquireTime: '2000-01-01T00:00:00.000000Z', renewTime: '2000-01-01T00:00:00.000000Z', leaseTransitions: 3 }));
    await world.runUntil(5_000);
    const a = sim.start('a');
    const startedAtMs = world.nowMs;
    const ledAtMs = await world.runUntilTrue(() => a.leading !== undefined, 60_000, 'a leading');
    expect(ledAtMs - startedAtMs).toBeGreaterThanOrEqual(LEASE_MS);
    expect(ledAtMs - startedAtMs).toBeLessThanOrEqual(LEASE_MS + RETRY_JITTERED_MAX_MS);
    expect(sim.log.find((e) => e.type === 'newLeader')).toMatchObject({ identity: 'a', leader: 'ghost' });
    const record = (await world.settle(toolLock.get()))?.record;
    expect(record).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 4 });
  });

  it('never takes over while the holder keeps renewing', async () => {
    const { world, sim } = simSetup();
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    sim.start('b');
    sim.start('c');
    await world.runUntil(300_000);
    expect(sim.startedTerms().map((t) => t.identity)).toEqual(['a']);
  });

  it('a crashed leader is replaced leaseDuration after its last renewal reached the candidate (through the watch)', async () => {
    const { world, sim } = simSetup();
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    const b = sim.start('b');
    await world.runUntil(30_000);
    const lastRenewalSentMs = a.lease!.validUntilMs - RENEW_DEADLINE_MS; // a's clock = world time here (rate 1, offset)
    const lastRenewalWorldMs = world.nowMs - (a.proc.nowMs() - lastRenewalSentMs);
    sim.crash('a');
    const tookOverMs = await world.runUntilTrue(() => b.leading !== undefined, 120_000, 'b leading');
    expect(tookOverMs - lastRenewalWorldMs).toBeGreaterThanOrEqual(LEASE_MS);
    // The instant network delivers the renewal to b's watch when it is written; b wakes when it lapses.
    expect(tookOverMs - lastRenewalWorldMs).toBeLessThanOrEqual(LEASE_MS + 1);
  });
});

describe('renewing and stepping down', () => {
  it('without a successful renewal within renewDeadline the signal aborts, then onStoppedLeading; only later can another take over', async () => {
    const { world, store, sim } = simSetup({ reCampaign: false });
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    const b = sim.start('b');
    await world.runUntil(20_000);
    const lease = a.lease!;
    const validUntilMs = lease.validUntilMs;
    // Renewals keep the term at most renewDeadline ahead of now.
    expect(validUntilMs - a.proc.nowMs()).toBeLessThanOrEqual(RENEW_DEADLINE_MS);
    store.addPartition(a.proc.name, world.nowMs, world.nowMs + 120_000);
    const abortedAtMs = await world.runUntilTrue(() => lease.signal.aborted, 60_000, 'the signal to abort');
    // At the deadline on a's clock, to the millisecond.
    expect(a.proc.nowMs()).toBeGreaterThanOrEqual(validUntilMs);
    expect(a.proc.nowMs()).toBeLessThan(validUntilMs + 1);
    const order = sim.log.filter((e) => e.identity === 'a' && (e.type === 'aborted' || e.type === 'stopped')).map((e) => e.type);
    expect(order).toEqual(['aborted', 'stopped']);
    await world.settle(a.done); // one-shot: run() returned after the term ended
    const tookOverMs = await world.runUntilTrue(() => b.leading !== undefined, 120_000, 'b leading');
    expect(tookOverMs).toBeGreaterThan(abortedAtMs + (LEASE_MS - RENEW_DEADLINE_MS) - 1);
    expect(sim.log.filter((e) => e.identity === 'a' && e.type === 'stopped')).toHaveLength(1);
  });

  it('a leader that hears of another holder steps down at once and never overwrites it', async () => {
    const { world, sim, toolLock } = simSetup();
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    const lease = a.lease!;
    // An operator forces the lease to someone else.
    const current = (await world.settle(toolLock.get()))!;
    await world.settle(toolLock.update({ ...current.record, holderIdentity: 'z', leaseTransitions: current.record.leaseTransitions + 1 }, current, 'acquire'));
    const t0 = world.nowMs;
    await world.runUntilTrue(() => lease.signal.aborted, world.nowMs + 10_000);
    // It hears of the change through the watch (instantly here), not only at its next renewal.
    expect(world.nowMs - t0).toBeLessThan(1);
    expect(lease.signal.reason).toMatchObject({ code: 'NotLeader', message: expect.stringContaining('lost to another holder') });
    // And its renewals never overwrite the new holder: the record still names z a while later.
    await world.runUntil(world.nowMs + 5 * RETRY_MS);
    expect((await world.settle(toolLock.get()))!.record.holderIdentity).toBe('z');
  });

  it('reCampaign: after losing the lease it campaigns again and leads again with a larger token', async () => {
    const { world, store, sim } = simSetup({ reCampaign: true });
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    const first = a.lease!.fencingToken;
    store.addPartition(a.proc.name, world.nowMs, world.nowMs + 30_000);
    await world.runUntilTrue(() => a.leading === undefined, 60_000);
    await world.runUntilTrue(() => a.leading !== undefined, 120_000, 'a leading again');
    expect(a.lease!.fencingToken).toBeGreaterThan(first);
    expect(sim.log.filter((e) => e.type === 'started' || e.type === 'stopped').map((e) => e.type)).toEqual(['started', 'stopped', 'started']);
  });
});

describe('releasing', () => {
  it('graceful release: another candidate takes over within one retry period (woken by the watch)', async () => {
    const { world, sim, toolLock } = simSetup({ releaseOnCancel: true, reCampaign: false });
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    const b = sim.start('b');
    await world.runUntil(21_000);
    a.cancel.abort();
    const releasedAtMs = await world.runUntilTrue(() => sim.log.some((e) => e.identity === 'a' && e.type === 'stopped'), world.nowMs + 5_000);
    const tookOverMs = await world.runUntilTrue(() => b.leading !== undefined, 60_000, 'b leading');
    expect(tookOverMs - releasedAtMs).toBeLessThanOrEqual(RETRY_MS);
    const record = (await world.settle(toolLock.get()))!.record;
    // a → (released) → b is one transition between holders; the release itself keeps the count (client-go).
    expect(record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('without a watch, takeover after a release takes at most one jittered retry period', async () => {
    const { world, sim, tool, toolKv } = simSetup({ releaseOnCancel: true, reCampaign: false });
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    // b, with a lock that cannot watch: it only polls.
    const full = new KvLeaseLock({ kv: toolKv, name: sim.electionName });
    const pollOnly: LeaseLock = { description: full.description, get: (o) => full.get(o), create: (r, o) => full.create(r, o), update: (r, p, k, o) => full.update(r, p, k, o) };
    let bLedAtMs: number | undefined;
    const b = new LeaderElector({ lock: pollOnly, identity: 'b', clock: tool, callbacks: { onStartedLeading: () => void (bLedAtMs = world.nowMs), onStoppedLeading: () => {} } });
    void b.run();
    await world.runUntil(21_000);
    a.cancel.abort();
    const releasedAtMs = await world.runUntilTrue(() => sim.log.some((e) => e.identity === 'a' && e.type === 'stopped'), world.nowMs + 5_000);
    await world.runUntilTrue(() => bLedAtMs !== undefined, 60_000, 'b leading');
    expect(bLedAtMs! - releasedAtMs).toBeLessThanOrEqual(RETRY_JITTERED_MAX_MS);
  });

  it('releases only after the leading work has finished', async () => {
    const WORK_WIND_DOWN_MS = 5_000;
    let workDoneAtMs: number | undefined;
    const { world, sim, toolLock } = simSetup({
      releaseOnCancel: true,
      reCampaign: false,
      onStartedLeading: (signal, _lease, c) =>
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () =>
            c.proc.setTimer(() => {
              workDoneAtMs = world.nowMs;
              resolve();
            }, WORK_WIND_DOWN_MS),
          ),
        ),
    });
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    await world.runUntil(10_000);
    a.cancel.abort();
    const cancelledAtMs = world.nowMs;
    await world.runUntil(cancelledAtMs + WORK_WIND_DOWN_MS - 1);
    expect((await world.settle(toolLock.get()))!.record.holderIdentity).toBe('a');
    await world.runUntilTrue(() => workDoneAtMs !== undefined, cancelledAtMs + WORK_WIND_DOWN_MS + 1);
    await world.settle(a.done);
    const released = (await world.settle(toolLock.get()))!.record;
    expect(released).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(sim.log.filter((e) => e.identity === 'a').map((e) => e.type)).toEqual(['newLeader', 'started', 'aborted', 'stopped']);
  });
});

describe('callbacks', () => {
  it('onStoppedLeading is called once even when this instance never led (client-go), and run() resolves', async () => {
    const { world, sim } = simSetup({ reCampaign: true });
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    const b = sim.start('b');
    await world.runUntil(10_000);
    b.cancel.abort();
    await world.runUntil(11_000);
    await world.settle(b.done);
    expect(sim.log.filter((e) => e.identity === 'b').map((e) => e.type)).toEqual(['newLeader', 'stopped']);
  });

  it('onNewLeader: once per observed change of holder, never for renewals', async () => {
    const { world, sim } = simSetup({ releaseOnCancel: true, reCampaign: false });
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    sim.start('c');
    const b = sim.start('b');
    await world.runUntil(40_000);
    a.cancel.abort();
    await world.runUntilTrue(() => b.leading !== undefined || sim.candidate('c').leading !== undefined, 60_000);
    await world.runUntil(world.nowMs + 40_000);
    const next = sim.startedTerms()[1]!.identity;
    const seenBy = (id: string): string[] => sim.log.flatMap((e) => (e.type === 'newLeader' && e.identity === id ? [e.leader] : []));
    expect(seenBy('a')).toEqual(['a']);
    for (const id of ['b', 'c']) expect(seenBy(id)).toEqual(['a', next]);
  });
});

describe('fencing', () => {
  it('a restart of the same identity leads at once, with a new token; the old token is refused by the store', async () => {
    const { world, sim, toolKv, toolLock } = simSetup();
    const a1 = sim.start('a');
    await world.runUntilTrue(() => a1.leading !== undefined, 1_000);
    await world.runUntil(5_000);
    const oldLease = a1.lease!;
    sim.crash('a');
    const a2 = sim.start('a');
    const restartedAtMs = world.nowMs;
    await world.runUntilTrue(() => a2.leading !== undefined, 10_000);
    // The record named 'a', so it did not wait out its own lease.
    expect(world.nowMs - restartedAtMs).toBeLessThan(1_000);
    expect(a2.lease!.fencingToken).toBeGreaterThan(oldLease.fencingToken);
    // A write the dead process had in flight arrives now, under its token: the store refuses it.
    const stale: LeadingLease = { ...oldLease, holds: () => true, assertHolds: () => {} };
    const err = await world.settle(fencedTxn(toolKv, toolLock.keys.fence, stale, { success: [op.put(WORK_KEY, 'stale')] })).catch((e: unknown) => e);
    expect(isElectionError(err, 'Deposed')).toBe(true);
    // The new term's writes go through.
    const ok = await world.settle(fencedTxn(toolKv, toolLock.keys.fence, { ...a2.lease!, holds: () => true, assertHolds: () => {} }, { success: [op.put(WORK_KEY, 'fresh')] }));
    expect(ok.succeeded).toBe(true);
    const record = (await world.settle(toolLock.get()))!.record;
    expect(record).toMatchObject({ holderIdentity: 'a', leaseTransitions: 0 });
  });

  it('the token survives deletion of the record: the next acquisition still gets a larger one', async () => {
    const { world, sim, toolKv, toolLock } = simSetup({ releaseOnCancel: true, reCampaign: false });
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    const first = a.lease!.fencingToken;
    a.cancel.abort();
    await world.runUntil(2_000);
    await world.settle(a.done);
    await world.settle(toolKv.txn({ success: [op.delete(toolLock.keys.prefix, { prefix: true })] }));
    expect(await world.settle(toolLock.get())).toBeUndefined();
    const b = sim.start('b');
    await world.runUntilTrue(() => b.leading !== undefined, 10_000);
    expect(b.lease!.fencingToken).toBeGreaterThan(first);
    expect((await world.settle(toolLock.get()))!.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 0 });
  });

  it('fencedTxn refuses to send once our own clock says the term is over', async () => {
    const { world, store, sim } = simSetup();
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    const lease = a.lease!;
    store.addPartition(a.proc.name, world.nowMs, world.nowMs + 60_000);
    await world.runUntilTrue(() => lease.signal.aborted, 30_000);
    const err = await world.settle(a.lock.fencedTxn(lease, { success: [op.put(WORK_KEY, 'late')] })).catch((e: unknown) => e);
    expect(isElectionError(err, 'NotLeader')).toBe(true);
  });
});

describe('check() for a health endpoint', () => {
  it('fails only when this instance believes it leads and has not renewed for leaseDuration + tolerance', async () => {
    const TOLERANCE_MS = 3_000;
    const { world, store, sim } = simSetup({ reCampaign: false });
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    const b = sim.start('b');
    await world.runUntil(10_000);
    expect(a.elector.check(TOLERANCE_MS)).toEqual({ ok: true });
    expect(b.elector.check(TOLERANCE_MS)).toEqual({ ok: true });
    // a is cut off: it stops renewing, and, one-shot, stops campaigning; its last view names itself.
    const cutMs = world.nowMs;
    store.addPartition(a.proc.name, cutMs, cutMs + 300_000);
    // The last renewal was seen at most one retry period before the cut.
    await world.runUntil(cutMs + LEASE_MS + TOLERANCE_MS - RETRY_MS - 1);
    expect(a.elector.check(TOLERANCE_MS)).toEqual({ ok: true });
    await world.runUntil(cutMs + LEASE_MS + TOLERANCE_MS + 1);
    expect(a.elector.check(TOLERANCE_MS)).toMatchObject({ ok: false, reason: expect.stringContaining('failed election to renew leadership') });
    expect(a.elector.isLeader()).toBe(true);
    // b, a standby that has since taken over, is healthy.
    expect(b.leading).toBeDefined();
    expect(b.elector.check(TOLERANCE_MS)).toEqual({ ok: true });
  });
});

describe('observe()', () => {
  it('yields the current leader, then each change of holder, driven by the watch (renewals are not changes)', async () => {
    const { world, sim, toolLock } = simSetup({ releaseOnCancel: true, reCampaign: false });
    const stop = new AbortController();
    const seen: string[] = [];
    const observing = (async () => {
      for await (const change of observeLeader(toolLock, stop.signal)) seen.push(`${change.holderIdentity || '(none)'}${change.fencingToken !== undefined ? `@${change.fencingToken}` : ''}`);
    })();
    await world.runUntil(1);
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    await world.runUntil(30_000);
    const b = sim.start('b');
    await world.runUntil(35_000);
    a.cancel.abort();
    await world.runUntilTrue(() => b.leading !== undefined, 60_000);
    await world.runUntil(world.nowMs + 20_000);
    stop.abort();
    await world.runUntil(world.nowMs + 1);
    await observing;
    expect(seen).toEqual(['(none)', `a@${a.lease!.fencingToken}`, '(none)', `b@${b.lease!.fencingToken}`]);
  });
});

describe('retrying', () => {
  it('a candidate whose lock fails at once retries every jittered retry period, never in a tight loop', async () => {
    const clock = new FakeClock();
    let gets = 0;
    const lock: LeaseLock = {
      description: 'failing',
      // First a holder with a 1 s lease, so its lease has lapsed by the time the store starts failing.
      get: () => (gets++ === 0 ? Promise.resolve({ record: { holderIdentity: 'x', leaseDurationSeconds: 1, leaseTransitions: 0 }, version: '1' }) : Promise.reject(new Error('connection refused'))),
      create: () => Promise.reject(new Error('connection refused')),
      update: () => Promise.reject(new Error('connection refused')),
    };
    const stop = new AbortController();
    const run = new LeaderElector({ lock, identity: 'a', clock, random: () => 0, callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} } }).run(stop.signal);
    await clock.advance(20_000);
    // One attempt at 0 and one every 2 s after the first expiry wake-up: about 11, never hundreds.
    expect(gets).toBeGreaterThanOrEqual(10);
    expect(gets).toBeLessThanOrEqual(12);
    stop.abort();
    await run;
  });
});
