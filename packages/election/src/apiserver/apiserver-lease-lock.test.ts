// ApiserverLeaseLock against an in-test HTTP fake of the Lease endpoints that answers as kube-apiserver
// does; then two real-clock electors over it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaderElector } from '../elector/leader-elector.ts';
import { isElectionError } from '../errors.ts';
import type { ObservedLease } from '../lock.ts';
import type { LeaseRecord } from '../record.ts';
import { FakeLeaseServer } from '../testing/fake-lease-server.ts';
import { ApiserverLeaseLock } from './apiserver-lease-lock.ts';

const record: LeaseRecord = { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: '2024-05-01T12:00:00.000001Z', renewTime: '2024-05-01T12:00:00.000001Z', leaseTransitions: 0 };
let server: FakeLeaseServer;
const locks = (name = 'sched'): ApiserverLeaseLock => new ApiserverLeaseLock({ server: server.url, namespace: 'kube-system', name });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

beforeEach(async () => {
  server = await new FakeLeaseServer().start();
});
afterEach(async () => {
  await server.stop();
});

describe('ApiserverLeaseLock', () => {
  it('get of a missing Lease is undefined; create returns its resourceVersion as the fencing token', async () => {
    const lock = locks();
    expect(await lock.get()).toBeUndefined();
    const w = await lock.create(record);
    expect(w.fencingToken).toBe(Number(w.version));
    const got = await lock.get();
    expect(got).toEqual({ record, version: w.version });
    const stored = server.lease('kube-system', 'sched')!;
    expect(stored['spec']).toEqual(record);
    expect(stored['kind']).toBe('Lease');
  });

  it('create of an existing Lease is a Conflict (409 AlreadyExists)', async () => {
    await locks().create(record);
    const err = await rejection(locks().create(record));
    expect(isElectionError(err, 'Conflict')).toBe(true);
    expect((err as Error).message).toContain('AlreadyExists');
  });

  it('update is conditioned on resourceVersion: stale → Conflict (409), deleted → NotFound (404)', async () => {
    const lock = locks();
    await lock.create(record);
    const v1 = (await lock.get())!;
    const w2 = await lock.update({ ...record, renewTime: '2024-05-01T12:00:02.000001Z' }, v1, 'renew');
    expect(w2.fencingToken).toBeUndefined();
    expect(Number(w2.version)).toBeGreaterThan(Number(v1.version));
    const stale = await rejection(lock.update(record, v1, 'renew'));
    expect(isElectionError(stale, 'Conflict')).toBe(true);
    expect((stale as Error).message).toContain('the object has been modified');
    server.delete('kube-system', 'sched');
    const gone = await rejection(lock.update(record, { ...v1, version: w2.version }, 'renew'));
    expect(isElectionError(gone, 'NotFound')).toBe(true);
  });

  it('an acquisition’s token is its write’s resourceVersion, larger than any before, even after the Lease was deleted', async () => {
    const lock = locks();
    const first = await lock.create(record);
    server.delete('kube-system', 'sched');
    const second = await lock.create({ ...record, holderIdentity: 'b' });
    expect(second.fencingToken!).toBeGreaterThan(first.fencingToken!);
    const v = (await lock.get())!;
    const third = await lock.update({ ...record, holderIdentity: 'c' }, v, 'acquire');
    expect(third.fencingToken!).toBeGreaterThan(second.fencingToken!);
  });

  it('an update keeps the labels, annotations and other spec fields of the Lease it replaces', async () => {
    const lock = locks();
    await fetch(`${server.url}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases`, {
      method: 'POST',
      body: JSON.stringify({ metadata: { name: 'sched', labels: { app: 'scheduler' }, annotations: { note: 'keep' } }, spec: { ...record, strategy: 'OldestEmulationVersion' } }),
    });
    const v = (await lock.get())!;
    await lock.update({ ...record, holderIdentity: 'b', leaseTransitions: 1 }, v, 'acquire');
    const stored = server.lease('kube-system', 'sched')!;
    expect(stored.metadata['labels']).toEqual({ app: 'scheduler' });
    expect(stored.metadata['annotations']).toEqual({ note: 'keep' });
    expect(stored['spec']).toMatchObject({ holderIdentity: 'b', strategy: 'OldestEmulationVersion', leaseTransitions: 1 });
  });

  it('server errors and garbage become typed errors', async () => {
    const lock = locks();
    server.failNext = 1;
    const e500 = await rejection(lock.get());
    expect(isElectionError(e500, 'Unavailable')).toBe(true);
    expect((e500 as Error).message).toContain('InternalError');
    await fetch(`${server.url}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases`, { method: 'POST', body: JSON.stringify({ metadata: { name: 'bad' }, spec: { leaseDurationSeconds: 'long' } }) });
    const invalid = await rejection(locks('bad').get());
    expect(isElectionError(invalid, 'InvalidRecord')).toBe(true);
    const down = new ApiserverLeaseLock({ server: 'http://127.0.0.1:1', namespace: 'kube-system', name: 'x' });
    expect(isElectionError(await rejection(down.get()), 'Unavailable')).toBe(true);
  });

  it('refuses bad configuration', () => {
    expect(() => new ApiserverLeaseLock({ server: 'ftp://x', namespace: 'a', name: 'b' })).toThrow(/http/);
    expect(() => new ApiserverLeaseLock({ server: server.url, namespace: 'A_B', name: 'b' })).toThrow(/namespace/);
    expect(() => new ApiserverLeaseLock({ server: server.url, namespace: 'a', name: '' })).toThrow(/name/);
  });

  it('watch: the current state, then every change; after a 410 Expired it lists again', async () => {
    const lock = locks();
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
    const writer = locks();
    await writer.create(record);
    await until(2);
    expect(seen[1]?.record.holderIdentity).toBe('a');
    // The watch's resourceVersion falls out of the server's history; the server ends the stream; the lock lists again.
    server.compactHistory();
    server.endWatches();
    await until(3);
    expect(seen[2]?.record.holderIdentity).toBe('a');
    const v = (await writer.get())!;
    await writer.update({ ...record, holderIdentity: 'b', leaseTransitions: 1 }, v, 'acquire');
    await until(4);
    expect(seen[3]?.record.holderIdentity).toBe('b');
    server.delete('kube-system', 'sched');
    await until(5);
    expect(seen[4]).toBeUndefined();
    stop.abort();
    await consumed;
  });
});

describe('LeaderElector over ApiserverLeaseLock (real clock, short durations)', () => {
  // Whole-second lease (the record carries seconds); renew deadline > 1.2 × retry period.
  const timing = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 250 } as const;

  it('one leads; when it releases the other takes over; tokens increase', async () => {
    const events: string[] = [];
    const tokens: number[] = [];
    const mk = (identity: string, stop: AbortController): Promise<void> =>
      new LeaderElector({
        lock: locks('ha'),
        identity,
        ...timing,
        releaseOnCancel: true,
        callbacks: {
          onStartedLeading: (_signal, lease) => {
            events.push(`${identity} leads`);
            tokens.push(lease.fencingToken);
          },
          onStoppedLeading: () => events.push(`${identity} stopped`),
        },
      }).run(stop.signal);
    const stopA = new AbortController();
    const runA = mk('a', stopA);
    await waitFor(() => events.includes('a leads'));
    const stopB = new AbortController();
    const runB = mk('b', stopB);
    await new Promise((r) => setTimeout(r, 600));
    expect(events).toEqual(['a leads']);
    stopA.abort();
    await runA;
    await waitFor(() => events.includes('b leads'));
    expect(server.lease('kube-system', 'ha')!['spec']).toMatchObject({ holderIdentity: 'b', leaseDurationSeconds: 2, leaseTransitions: 1 });
    stopB.abort();
    await runB;
    expect(events).toEqual(['a leads', 'a stopped', 'b leads', 'b stopped']);
    expect(tokens[1]!).toBeGreaterThan(tokens[0]!);
    expect(server.lease('kube-system', 'ha')!['spec']).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  });

  it('a takeover of the Lease is never overwritten by the old leader’s renewal; it steps down', async () => {
    let signal: AbortSignal | undefined;
    const stop = new AbortController();
    const run = new LeaderElector({ lock: locks('forced'), identity: 'a', ...timing, reCampaign: false, callbacks: { onStartedLeading: (s) => void (signal = s), onStoppedLeading: () => {} } }).run(stop.signal);
    await waitFor(() => signal !== undefined);
    // Someone else takes the Lease (an operator, or a candidate whose clock ran too fast).
    const admin = locks('forced');
    const current = (await admin.get())!;
    await admin.update({ ...current.record, holderIdentity: 'z', leaseTransitions: current.record.leaseTransitions + 1 }, current, 'acquire');
    await waitFor(() => signal!.aborted);
    expect((signal!.reason as Error).message).toContain('lost to another holder');
    await run;
    // Several retry periods later, the Lease still names z.
    await new Promise((r) => setTimeout(r, 4 * timing.retryPeriodMs));
    expect(server.lease('kube-system', 'forced')!['spec']).toMatchObject({ holderIdentity: 'z' });
  });

  it('a leader whose apiserver fails steps down at its renew deadline', async () => {
    let signal: AbortSignal | undefined;
    const stop = new AbortController();
    const run = new LeaderElector({ lock: locks('down'), identity: 'a', ...timing, callbacks: { onStartedLeading: (s) => void (signal = s), onStoppedLeading: () => {} } }).run(stop.signal);
    await waitFor(() => signal !== undefined);
    server.failNext = 1_000_000;
    await waitFor(() => signal!.aborted);
    expect((signal!.reason as Error).message).toContain('renew deadline passed');
    await run;
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
