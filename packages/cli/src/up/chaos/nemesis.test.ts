import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusterView, ControllerView, KvMemberView } from '../dashboard/view.ts';
import { planCluster, portsNeeded, type ClusterShape } from '../plan.ts';
import { chooseFault, prng } from './nemesis.ts';
import { availability, type WriteRecord } from './workload.ts';

function view(shape: ClusterShape, down: ReadonlySet<string>): ClusterView {
  const plan = planCluster(shape, Array.from({ length: portsNeeded(shape) }, (_, i) => 10_000 + i));
  const proc = (id: string): 'running' | 'exited' => (down.has(id) ? 'exited' : 'running');
  const kv: KvMemberView[] = plan.components.filter((c) => c.kind === 'kv').map((c, i) => ({ id: c.id, node: c.node, endpoint: '', process: proc(c.id), pid: 1, role: down.has(c.id) ? 'down' : i === 0 ? 'leader' : 'follower', term: 1, commitIndex: 1, appliedIndex: 1, revision: 1, healthy: !down.has(c.id), error: null }));
  const controllers: ControllerView[] = plan.components.filter((c) => c.kind === 'controller').map((c) => ({ id: c.id, node: c.node, controller: c.kind === 'controller' ? c.controller : '', process: proc(c.id), pid: 1, leading: c.id.endsWith('-1'), fencingToken: 1, fencedWrites: 0, staleWritesRefused: 0 }));
  return {
    atMs: 0, dataDir: '', shape, nodes: plan.nodes, risk: { servers: 0, kvFailuresTolerated: 0, onNodeFailure: '' }, loadBalancer: { kind: 'builtin', url: '', pid: null }, kubeconfig: '',
    kv, apiservers: plan.components.filter((c) => c.kind === 'apiserver').map((c) => ({ id: c.id, node: c.node, url: '', process: proc(c.id), pid: 1, ready: !down.has(c.id), error: null })),
    controllers, leases: [], leaseWatch: true, leaderChanges: [], throughput: [], events: [],
  };
}

describe('chooseFault', () => {
  it('never takes the KV store below quorum nor every apiserver down', () => {
    // Invariant: whatever is already down (within the budgets) and whatever the PRNG draws, the chosen
    // fault keeps at most floor((n-1)/2) KV members down and at least one apiserver running.
    fc.assert(
      fc.property(fc.constantFrom<ClusterShape['topology']>('stacked', 'external'), fc.constantFrom(3, 5), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.array(fc.nat(20), { maxLength: 3 }), (topology, kvMembers, apiservers, seed, downPicks) => {
        const shape: ClusterShape = { topology, kvMembers, apiservers: Math.min(apiservers, kvMembers), controllerReplicas: 2 };
        const plan = planCluster(shape, Array.from({ length: portsNeeded(shape) }, (_, i) => 10_000 + i));
        const budget = Math.floor((kvMembers - 1) / 2);
        const down = new Set<string>();
        for (const p of downPicks) {
          const c = plan.components[p % plan.components.length]!;
          const kvDown = [...down].filter((id) => id.startsWith('kv-')).length;
          const apiDown = [...down].filter((id) => id.startsWith('apiserver-')).length;
          if (c.kind === 'kv' && kvDown >= budget) continue;
          if (c.kind === 'apiserver' && apiDown >= shape.apiservers - 1) continue;
          down.add(c.id);
        }
        const choice = chooseFault(view(shape, down), prng(seed));
        if (choice === undefined) return;
        const victims = choice.api === 'nodes' ? plan.nodes.find((n) => n.name === choice.target)!.components : [choice.target];
        const after = new Set([...down, ...victims]);
        expect([...after].filter((id) => id.startsWith('kv-')).length).toBeLessThanOrEqual(budget);
        expect([...after].filter((id) => id.startsWith('apiserver-')).length).toBeLessThan(shape.apiservers);
      }),
      { numRuns: 300 },
    );
  });

  it('picks the KV leader and the active controller among its targets', () => {
    const shape: ClusterShape = { topology: 'external', kvMembers: 3, apiservers: 2, controllerReplicas: 2 };
    const kinds = new Set<string>();
    const random = prng(1);
    for (let i = 0; i < 200; i++) kinds.add(chooseFault(view(shape, new Set()), random)!.kind);
    expect([...kinds].sort()).toEqual(['active-controller', 'apiserver', 'controller', 'kv', 'kv-leader', 'node']);
  });
});

describe('availability', () => {
  it('counts outcomes and the longest stretch without a success', () => {
    const r = (endedAtMs: number, outcome: WriteRecord['outcome']): WriteRecord => ({ name: '', value: '', startedAtMs: endedAtMs - 1, endedAtMs, outcome });
    const a = availability([r(100, 'ok'), r(200, 'unknown'), r(900, 'ok'), r(950, 'failed'), r(1_000, 'ok')], 0, 1_500);
    expect(a).toEqual({ requests: 5, acknowledged: 3, unknown: 1, failed: 1, successRatio: 0.6, longestOutageMs: 800 });
  });
});
