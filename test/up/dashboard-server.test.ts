// The dashboard's HTTP surface without a cluster: the page, the guard on control requests, unknown
// targets, and a kill through the control API reaching a real process the supervisor started.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvClient } from '@halyard/kv-client';
import { Control } from '../../packages/cli/src/up/control.ts';
import { Sampler } from '../../packages/cli/src/up/dashboard/sampler.ts';
import { CONTROL_HEADER, DashboardServer } from '../../packages/cli/src/up/dashboard/server.ts';
import { KubeClient } from '../../packages/cli/src/up/kube/kube-client.ts';
import { planCluster, portsNeeded, type ClusterShape } from '../../packages/cli/src/up/plan.ts';
import { nodeCommand } from '../../packages/cli/src/up/process/entrypoints.ts';
import { Supervisor } from '../../packages/cli/src/up/process/supervisor.ts';

const IDLE = fileURLToPath(new URL('./fixtures/idle-component.mjs', import.meta.url));

describe('dashboard server', () => {
  let dir = '';
  let supervisor: Supervisor;
  let server: DashboardServer;
  let url = '';
  let kv: KvClient;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'halyard-dash-'));
    const shape: ClusterShape = { topology: 'stacked', kvMembers: 1, apiservers: 1, controllerReplicas: 0 };
    const plan = planCluster(shape, Array.from({ length: portsNeeded(shape) }, (_, i) => 1 + i));
    supervisor = new Supervisor({ logDir: join(dir, 'logs') });
    // Stand-ins: idle processes under the plan's ids, so kill/restart act on real pids.
    for (const c of plan.components) supervisor.define({ id: c.id, ...nodeCommand(IDLE, [], true) });
    kv = new KvClient({ endpoints: ['http://127.0.0.1:1'] });
    const sampler = new Sampler({ plan, supervisor, kv, kube: new KubeClient({ server: 'http://127.0.0.1:1', token: 't' }), dataDir: dir, loadBalancer: { kind: 'builtin', url: '' }, kubeconfig: '', apiserverTls: false });
    server = new DashboardServer(sampler, new Control(plan, supervisor, () => undefined));
    url = await server.listen('127.0.0.1', 0);
  });

  afterEach(async () => {
    await server.close();
    await kv.close();
    await supervisor.stopAll(2_000);
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the page', async () => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('data-testid="kv-leader"');
  });

  it('refuses control requests without its header, unknown targets and actions', async () => {
    expect((await fetch(new URL('/api/components/kv-1/kill', url), { method: 'POST' })).status).toBe(403);
    expect((await fetch(new URL('/api/components/kv-9/kill', url), { method: 'POST', headers: { [CONTROL_HEADER]: '1' } })).status).toBe(404);
    expect((await fetch(new URL('/api/components/kv-1/explode', url), { method: 'POST', headers: { [CONTROL_HEADER]: '1' } })).status).toBe(404);
    expect((await fetch(new URL('/api/components/kv-1/kill', url))).status).toBe(405);
  });

  it('kills and starts a component and a node through the control API', async () => {
    await supervisor.start('kv-1');
    const pid = supervisor.pid('kv-1')!;
    const post = (path: string): Promise<Response> => fetch(new URL(path, url), { method: 'POST', headers: { [CONTROL_HEADER]: '1' } });
    expect((await post('/api/components/kv-1/kill')).status).toBe(200);
    expect(supervisor.status('kv-1')).toMatchObject({ state: 'exited', lastExit: 'signal SIGKILL' });
    expect(() => process.kill(pid, 0)).toThrow();
    expect((await post('/api/nodes/node-1/start')).status).toBe(200);
    expect(supervisor.isRunning('kv-1') && supervisor.isRunning('apiserver-1')).toBe(true);
    expect((await post('/api/nodes/node-1/kill')).status).toBe(200);
    expect(supervisor.isRunning('kv-1') || supervisor.isRunning('apiserver-1')).toBe(false);
  });
});
