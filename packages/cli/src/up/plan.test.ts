import { describe, expect, it } from 'vitest';
import { UpError } from './errors.ts';
import { type ClusterShape, initialCluster, planCluster, portsNeeded, topologyRisk, validateShape } from './plan.ts';

const ports = (shape: ClusterShape): number[] => Array.from({ length: portsNeeded(shape) }, (_, i) => 20_000 + i);

describe('planCluster', () => {
  it('stacked: each node holds a KV member, and apiserver/controller replicas on the first nodes', () => {
    const shape: ClusterShape = { topology: 'stacked', kvMembers: 3, apiservers: 2, controllerReplicas: 2 };
    const plan = planCluster(shape, ports(shape));
    expect(plan.nodes.map((n) => [n.name, n.role, n.components])).toEqual([
      ['node-1', 'control-plane', ['kv-1', 'apiserver-1', 'controller-manager-1', 'scheduler-1']],
      ['node-2', 'control-plane', ['kv-2', 'apiserver-2', 'controller-manager-2', 'scheduler-2']],
      ['node-3', 'control-plane', ['kv-3']],
    ]);
    expect(topologyRisk(plan)).toMatchObject({ servers: 3, kvFailuresTolerated: 1 });
  });

  it('external: KV members on nodes of their own', () => {
    const shape: ClusterShape = { topology: 'external', kvMembers: 5, apiservers: 2, controllerReplicas: 2 };
    const plan = planCluster(shape, ports(shape));
    expect(plan.nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'kv-node-1', 'kv-node-2', 'kv-node-3', 'kv-node-4', 'kv-node-5']);
    expect(plan.nodes[0]!.components).toEqual(['apiserver-1', 'controller-manager-1', 'scheduler-1']);
    expect(plan.nodes[2]!.components).toEqual(['kv-1']);
    expect(topologyRisk(plan)).toMatchObject({ servers: 7, kvFailuresTolerated: 2 });
  });

  it('hands every port out once', () => {
    const shape: ClusterShape = { topology: 'external', kvMembers: 3, apiservers: 3, controllerReplicas: 2 };
    const plan = planCluster(shape, ports(shape));
    const used = plan.components.flatMap((c) => (c.kind === 'kv' ? [c.clientPort, c.peerPort] : c.kind === 'apiserver' ? [c.port] : [c.statusPort]));
    expect(new Set(used).size).toBe(portsNeeded(shape));
    expect(initialCluster(plan)).toBe('kv-1=http://127.0.0.1:20001,kv-2=http://127.0.0.1:20003,kv-3=http://127.0.0.1:20005');
  });

  it('refuses shapes that do not fit', () => {
    const bad: ClusterShape[] = [
      { topology: 'stacked', kvMembers: 3, apiservers: 4, controllerReplicas: 2 },
      { topology: 'stacked', kvMembers: 3, apiservers: 2, controllerReplicas: 4 },
      { topology: 'external', kvMembers: 4, apiservers: 2, controllerReplicas: 2 },
      { topology: 'external', kvMembers: 3, apiservers: 0, controllerReplicas: 2 },
      { topology: 'ring' as 'stacked', kvMembers: 3, apiservers: 2, controllerReplicas: 2 },
    ];
    for (const s of bad) expect(() => validateShape(s), JSON.stringify(s)).toThrow(UpError);
  });
});
