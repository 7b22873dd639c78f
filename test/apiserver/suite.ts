// The apiserver integration suite, run once per storage back end (halyard.test.ts, etcd.test.ts): two
// apiserver replicas over one real 3-member store. Every wait is a condition with a deadline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../packages/apiserver/src/api/json.ts';
import { startApiserver, type RunningApiserver } from '../../packages/apiserver/src/server.ts';
import { apiRequest, WatchReader, type ApiResponse } from '../../packages/apiserver/src/testing/api-client.ts';
import { quietLogger } from '../../packages/apiserver/src/testing/fake-kv.ts';
import { waitFor } from '../kv-cluster/harness.ts';
import type { Backend } from './backends.ts';

const rvOf = (r: ApiResponse | JsonObject): number => Number(((('body' in r ? r.body : r) as JsonObject)['metadata'] as Record<string, string>)['resourceVersion']);
const nameOf = (o: JsonObject): string => (o['metadata'] as Record<string, string>)['name']!;
const cm = (name: string, data: Record<string, string>, rv?: number): JsonObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(rv !== undefined ? { resourceVersion: String(rv) } : {}) }, data });

/** Failure tests restart members and wait out elections: on a loaded 2-core machine that takes minutes. */
const FAILURE_TEST_TIMEOUT_MS = 300_000;
/** Writes per phase of the failure test: enough to span an election, bounded so the test ends. */
const WRITES_PER_PHASE = 15;
/** How long one phase may go without its writes acknowledged: an election on a loaded machine, with margin. */
const PHASE_DEADLINE_MS = 120_000;
/** Pause after a failed create: etcd answers 'no leader' at once, so a tight loop would spin through an election. */
const FAILED_WRITE_PAUSE_MS = 100;

export function defineApiserverSuite(makeBackend: () => Promise<Backend>): void {
  let backend: Backend;
  let a: RunningApiserver;
  let b: RunningApiserver;
  let failed = false;

  beforeAll(async () => {
    backend = await makeBackend();
    const start = (): Promise<RunningApiserver> => startApiserver({ storage: backend.storage(), port: 0, logger: quietLogger, identityLeaseRenewMs: 1_000, healthTimeoutMs: 2_000 });
    [a, b] = await Promise.all([start(), start()]);
    await Promise.all([a.bootstrapped, b.bootstrapped]);
  });
  afterAll(async () => {
    if (failed) console.error(backend.logs());
    await Promise.all([a?.close(), b?.close()]);
    await backend?.close();
  });
  const track = async (f: () => Promise<void>): Promise<void> => {
    try {
      await f();
    } catch (e) {
      failed = true;
      throw e;
    }
  };

  describe('two replicas over one store', () => {
    it('a write through one replica is visible through the other at once (linearizable reads)', () =>
      track(async () => {
        await apiRequest(a.url, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'lin' } } });
        for (let i = 0; i < 20; i++) {
          const writer = i % 2 === 0 ? a : b;
          const reader = i % 2 === 0 ? b : a;
          const w = i === 0 ? await apiRequest(writer.url, 'POST', '/api/v1/namespaces/lin/configmaps', { body: cm('x', { i: '0' }) }) : await apiRequest(writer.url, 'PUT', '/api/v1/namespaces/lin/configmaps/x', { body: cm('x', { i: String(i) }) });
          expect(w.status).toBeLessThan(300);
          const r = await apiRequest(reader.url, 'GET', '/api/v1/namespaces/lin/configmaps/x');
          expect(r.body['data']).toEqual({ i: String(i) });
          expect(rvOf(r)).toBe(rvOf(w));
        }
        const list = await apiRequest(b.url, 'GET', '/api/v1/namespaces/lin/configmaps');
        expect(rvOf(list)).toBeGreaterThanOrEqual(rvOf(await apiRequest(a.url, 'GET', '/api/v1/namespaces/lin/configmaps/x')));
      }));

    it('a stale resourceVersion written through the other replica is a 409', () =>
      track(async () => {
        const cur = await apiRequest(a.url, 'GET', '/api/v1/namespaces/lin/configmaps/x');
        expect((await apiRequest(a.url, 'PUT', '/api/v1/namespaces/lin/configmaps/x', { body: cm('x', { by: 'a' }, rvOf(cur)) })).status).toBe(200);
        const stale = await apiRequest(b.url, 'PUT', '/api/v1/namespaces/lin/configmaps/x', { body: cm('x', { by: 'b' }, rvOf(cur)) });
        expect(stale.status).toBe(409);
        expect(stale.body['reason']).toBe('Conflict');
      }));

    it('each replica keeps an identity lease in kube-system', () =>
      track(async () => {
        const leases = await waitFor('both identity leases', async () => {
          const r = await apiRequest(a.url, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases?labelSelector=apiserver.kubernetes.io%2Fidentity');
          const items = r.body['items'] as JsonObject[];
          return items.length >= 2 ? items : undefined;
        });
        expect(leases.map(nameOf).sort()).toEqual([a.identityLeaseName, b.identityLeaseName].sort());
      }));

    it('a watch from a compacted resourceVersion ends with 410 Expired', () =>
      track(async () => {
        const cur = rvOf(await apiRequest(a.url, 'GET', '/api/v1/namespaces/lin/configmaps/x'));
        await backend.compact(cur);
        const w = new WatchReader(b.url, '/api/v1/namespaces/lin/configmaps?watch=1&resourceVersion=2');
        try {
          await w.waitFor('the ERROR event', (e) => e.length > 0);
          expect(w.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
        } finally {
          w.close();
        }
      }));
  });

  describe('KV member failures', () => {
    it('kill -9 of each member in turn (the leader first) during an open watch and continuing writes: no event lost or repeated', () =>
      track(async () => {
        await apiRequest(a.url, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'chaos' } } });
        const start = await apiRequest(a.url, 'GET', '/api/v1/namespaces/chaos/configmaps');
        const w = new WatchReader(a.url, `/api/v1/namespaces/chaos/configmaps?watch=1&resourceVersion=${rvOf(start)}`);
        const acked = new Map<string, number>();
        const attempted = new Set<string>();
        let seq = 0;
        // Sequential creates through the other replica; a failure (no quorum for a moment) is an unknown outcome.
        const writeUntil = async (count: number): Promise<void> => {
          const target = acked.size + count;
          const deadline = Date.now() + PHASE_DEADLINE_MS;
          let lastFailure = 'none';
          while (acked.size < target && Date.now() < deadline) {
            const name = `c-${String(seq++).padStart(5, '0')}`;
            attempted.add(name);
            const r = await apiRequest(b.url, 'POST', '/api/v1/namespaces/chaos/configmaps', { body: cm(name, { seq: name }), timeoutMs: 30_000 }).catch(() => undefined);
            if (r !== undefined && r.status === 201) acked.set(name, rvOf(r));
            else {
              lastFailure = r === undefined ? 'no response' : `${r.status} ${JSON.stringify(r.body['message'])}`;
              await new Promise((resolve) => setTimeout(resolve, FAILED_WRITE_PAUSE_MS));
            }
          }
          expect(acked.size, `last failed create: ${lastFailure}`).toBe(target);
        };
        try {
          await w.opened;
          await writeUntil(WRITES_PER_PHASE);
          const order = [await backend.leader()];
          for (const m of backend.members) if (!order.includes(m)) order.push(m);
          for (const victim of order) {
            await backend.kill(victim);
            await writeUntil(WRITES_PER_PHASE);
            await backend.restart(victim);
            await writeUntil(WRITES_PER_PHASE);
          }
          const lastRv = Math.max(...acked.values());
          await w.waitFor('events up to the last acknowledged write', (e) => e.some((x) => x.type !== 'ERROR' && rvOf(x.object) >= lastRv), 60_000);
          const errorsSeen = w.events.filter((e) => e.type === 'ERROR');
          expect(errorsSeen).toEqual([]);
          const rvs = w.events.map((e) => rvOf(e.object));
          // Strictly increasing revisions: nothing repeated, nothing out of order.
          for (let i = 1; i < rvs.length; i++) expect(rvs[i]).toBeGreaterThan(rvs[i - 1]!);
          const seen = new Map(w.events.map((e) => [nameOf(e.object), rvOf(e.object)]));
          expect(w.events.length).toBe(seen.size);
          // Every acknowledged create arrives, as ADDED, at its revision; every event is a create we sent.
          for (const [name, rv] of acked) expect(seen.get(name), name).toBe(rv);
          for (const e of w.events) {
            expect(e.type).toBe('ADDED');
            expect(attempted.has(nameOf(e.object))).toBe(true);
          }
        } finally {
          w.close();
          await backend.ensureAllRunning();
        }
      }), FAILURE_TEST_TIMEOUT_MS);

    it('/readyz is 503 on both replicas without quorum and recovers with it', () =>
      track(async () => {
        const [m1, m2] = backend.members;
        try {
          await backend.kill(m1!);
          await backend.kill(m2!);
          for (const s of [a, b]) {
            await waitFor(`${s.url} /readyz 503`, async () => (await apiRequest(s.url, 'GET', '/readyz')).status === 503, 60_000);
            expect((await apiRequest(s.url, 'GET', '/livez')).status).toBe(200);
          }
        } finally {
          await backend.ensureAllRunning();
        }
        for (const s of [a, b]) await waitFor(`${s.url} /readyz 200`, async () => (await apiRequest(s.url, 'GET', '/readyz')).status === 200, 60_000);
      }), FAILURE_TEST_TIMEOUT_MS);
  });
}
