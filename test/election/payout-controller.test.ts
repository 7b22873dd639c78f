// The example controller (examples/payout-controller) embedded twice against real in-process KV members:
// whatever happens to the leader, every payout request is paid exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAID, PENDING, runController } from '../../examples/payout-controller/controller.ts';
import { KvClient, KvLeaseLock, LeaderElector, type LeadingLease } from '../../packages/election/src/index.ts';
import { RealMembers } from '../../packages/election/src/testing/kv-internals.testutil.ts';

const REQUESTS = 60;
let members: RealMembers;
let kv: KvClient;

beforeAll(async () => {
  members = await RealMembers.start(3);
  kv = new KvClient({ endpoints: members.urls });
});
afterAll(async () => {
  await kv.close();
  await members.close();
});

interface Replica {
  readonly identity: string;
  readonly stop: AbortController;
  readonly run: Promise<void>;
  readonly paid: string[];
  lease: LeadingLease | undefined;
}

function replica(identity: string, releaseOnCancel: boolean): Replica {
  const lock = new KvLeaseLock({ kv, name: 'payouts' });
  const r: Replica = { identity, stop: new AbortController(), run: Promise.resolve(), paid: [], lease: undefined };
  const elector = new LeaderElector({
    lock,
    identity,
    leaseDurationMs: 3_000,
    renewDeadlineMs: 2_000,
    retryPeriodMs: 300,
    releaseOnCancel,
    reCampaign: true,
    callbacks: {
      onStartedLeading: (signal, lease) => {
        r.lease = lease;
        return runController({ kv, lock, identity, onPaid: (id) => r.paid.push(id) }, signal, lease);
      },
      onStoppedLeading: () => {},
    },
  });
  (r as { run: Promise<void> }).run = elector.run(r.stop.signal);
  return r;
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('example: payout controller embedding the election SDK', () => {
  it('pays every request exactly once across a crash of the leader and a stale write of the deposed one', async () => {
    const a = replica('a', false);
    await waitFor(() => a.lease !== undefined, 'a to lead');
    const b = replica('b', true);
    for (let i = 0; i < REQUESTS / 2; i++) await kv.put(`${PENDING}${String(i).padStart(3, '0')}`, String(100 + i));
    await waitFor(() => a.paid.length === REQUESTS / 2, 'a to pay the first half');
    // a "crashes": its run ends without releasing; b takes over after the lease.
    a.stop.abort();
    await a.run;
    for (let i = REQUESTS / 2; i < REQUESTS; i++) await kv.put(`${PENDING}${String(i).padStart(3, '0')}`, String(100 + i));
    await waitFor(() => b.paid.length === REQUESTS / 2, 'b to pay the second half');
    b.stop.abort();
    await b.run;
    // a's process comes back from a long stall still believing it leads (its clock check is bypassed
    // here), and a request arrives again: its write is refused by the store, nothing is paid or dropped.
    await kv.put(`${PENDING}000`, '100');
    const stale: LeadingLease = { ...a.lease!, holds: () => true, assertHolds: () => {} };
    const staleStop = new AbortController();
    const stalePaid: string[] = [];
    const refused: string[] = [];
    const staleRun = runController({ kv, lock: new KvLeaseLock({ kv, name: 'payouts' }), identity: 'a', onPaid: (id) => stalePaid.push(id), onDeposed: (id) => refused.push(id) }, staleStop.signal, stale);
    await waitFor(() => refused.length > 0, 'the stale write to be refused');
    staleStop.abort();
    await staleRun;
    expect(refused[0]).toBe('000');
    expect((await kv.get(`${PENDING}000`)).kvs).toHaveLength(1);
    // A live replica drops the duplicate without paying it again.
    const c = replica('c', true);
    await waitFor(async () => (await kv.get(`${PENDING}000`)).kvs.length === 0, 'the duplicate to be dropped');
    c.stop.abort();
    await c.run;

    expect(stalePaid).toEqual([]);
    const all = [...a.paid, ...b.paid, ...c.paid];
    // Every request paid once, the duplicate of 000 included.
    expect(all).toHaveLength(REQUESTS);
    expect(new Set(all).size).toBe(REQUESTS);
    const paid = await kv.get(PAID, { prefix: true });
    expect(paid.kvs).toHaveLength(REQUESTS);
    expect((await kv.get(PENDING, { prefix: true })).kvs).toHaveLength(0);
    const tokens = new Set(paid.kvs.map((x) => (JSON.parse(Buffer.from(x.value).toString('utf8')) as { fencingToken: number }).fencingToken));
    expect(tokens.size).toBe(2);
    expect(c.paid).toEqual([]);
  });
});
