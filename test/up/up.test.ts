// `halyard up` as a user runs it, on real processes: 3 KV members, 2 apiservers behind the load balancer
// (HAProxy when installed, else built in), 2 replicas each of 2 controllers electing through Leases.
// One cluster serves every test in order: the kubeconfig reaches it, exactly one replica of each
// controller is active and a standby takes over when it dies, a deposed replica's fenced write is
// refused, the dashboard in real headless Chromium
// shows the KV leader and a new one after its kill button is clicked, a bounded chaos run loses no
// acknowledged write and never has two active replicas, and a stop followed by `up` on the same folder
// resumes the same cluster. Election timings are shortened (4 s / 3 s / 0.5 s) so failovers fit the test.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../packages/cli/src/up/chaos/control-client.ts';
import { runChaos } from '../../packages/cli/src/up/chaos/run.ts';
import { FencedWriter } from '../../packages/cli/src/up/controllers/fence.ts';
import { CONTROLLER_NAMESPACE, fenceName, leaseName, STALE_LABEL } from '../../packages/cli/src/up/controllers/names.ts';
import type { ClusterView } from '../../packages/cli/src/up/dashboard/view.ts';
import { type ConfigMap, KubeClient, type KubeList, paths } from '../../packages/cli/src/up/kube/kube-client.ts';
import { CONTROLLER_KINDS } from '../../packages/cli/src/up/plan.ts';
import { type RunningUp, startUp, type UpOptions } from '../../packages/cli/src/up/up.ts';
import { waitFor } from './fake-backend.testutil.ts';
import { processAlive } from '../testing/process.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Screenshots land here, outside git (.gitignore). */
const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM = '/usr/bin/chromium';
/** Generous: every wait is for a condition, on a loaded 2-core machine. */
const DEADLINE_MS = 90_000;

describe('halyard up (real processes)', () => {
  let dir = '';
  let up: RunningUp | undefined;
  let control: ControlClient;
  let kube: KubeClient;
  let browser: Browser | undefined;
  const lines: string[] = [];
  const ac = new AbortController();

  const options = (): UpOptions => ({
    dataDir: dir,
    shape: { topology: 'stacked', kvMembers: 3, apiservers: 2, controllerReplicas: 2 },
    explicitShape: {},
    loadBalancerPort: 0,
    dashboardPort: 0,
    loadBalancer: 'auto',
    election: { leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 500 },
    workIntervalMs: 500,
    kvTickMs: 100,
    readyTimeoutMs: DEADLINE_MS,
    out: (l) => lines.push(l),
  });

  const state = (): Promise<ClusterView> => control.state();
  const active = (v: ClusterView, kind: string): string[] => v.controllers.filter((c) => c.controller === kind && c.process === 'running' && c.leading).map((c) => c.id);
  const holder = (v: ClusterView, kind: string): string | undefined => v.leases.find((l) => l.name === leaseName(kind))?.holder;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'halyard-up-'));
    up = await startUp(options(), ac.signal);
    control = new ControlClient(up.dashboardUrl);
    kube = new KubeClient({ server: up.apiserverUrl, token: up.state.adminToken, caPem: await readFile(join(dir, 'pki', 'ca.crt'), 'utf8') });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await up?.stop();
    ac.abort();
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('writes a kubeconfig for the load balancer, and the API answers through it', async () => {
    const kubeconfig = await readFile(up!.kubeconfig, 'utf8');
    expect(kubeconfig).toContain(`server: "${up!.apiserverUrl}"`);
    expect(kubeconfig).toContain('certificate-authority-data:');
    expect(lines.join('\n')).toContain(`export KUBECONFIG=${up!.kubeconfig}`);
    await kube.create(paths.configMaps('default'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'before-restart' }, data: { greeting: 'hello' } });
    const cm = await kube.get<ConfigMap>(paths.configMap('default', 'before-restart'));
    expect(cm.data).toEqual({ greeting: 'hello' });
    // The real kubectl, when the machine has it, with nothing but the kubeconfig.
    if (existsSync('/usr/bin/kubectl')) {
      const { stdout } = await promisify(execFile)('/usr/bin/kubectl', ['--kubeconfig', up!.kubeconfig, 'get', 'configmap', 'before-restart', '-o', 'jsonpath={.data.greeting}']);
      expect(stdout).toBe('hello');
    }
  });

  it('runs exactly one active replica of each controller; a standby takes over when it is killed', async () => {
    await waitFor('one active replica per controller, holding its lease', async () => {
      const v = await state();
      return CONTROLLER_KINDS.every((k) => active(v, k).length === 1 && holder(v, k) === active(v, k)[0]);
    }, DEADLINE_MS, 500);
    const before = await state();
    const victim = active(before, 'controller-manager')[0]!;
    await control.act('kill', 'components', victim);
    await waitFor('the standby leads controller-manager', async () => {
      const v = await state();
      const now = active(v, 'controller-manager');
      return now.length === 1 && now[0] !== victim && holder(v, 'controller-manager') === now[0];
    }, DEADLINE_MS, 500);
    await control.act('start', 'components', victim);
    await waitFor('the restarted replica is a standby and still only one leads', async () => {
      const v = await state();
      const c = v.controllers.find((x) => x.id === victim)!;
      return c.process === 'running' && !c.leading && active(v, 'controller-manager').length === 1;
    }, DEADLINE_MS, 500);
  }, 240_000);

  it('refuses a deposed replica\'s fenced write and leaves a stale marker', async () => {
    const v = await state();
    const current = v.controllers.find((c) => c.controller === 'scheduler' && c.leading)!;
    expect(current.fencingToken).not.toBeNull();
    // An impostor with a token older than the active replica's: what a paused, deposed leader would hold.
    const impostor = new FencedWriter(kube, 'scheduler', 'impostor');
    const outcome = await impostor.write(current.fencingToken! - 1);
    expect(outcome).toMatchObject({ type: 'refused', by: { holder: current.id, token: current.fencingToken } });
    const markers = await kube.get<KubeList<ConfigMap>>(`${paths.configMaps(CONTROLLER_NAMESPACE)}?labelSelector=${encodeURIComponent(STALE_LABEL)}`);
    expect(markers.items.map((m) => m.data?.identity)).toContain('impostor');
    // The fence still names the real leader.
    const fence = await kube.get<ConfigMap>(paths.configMap(CONTROLLER_NAMESPACE, fenceName('scheduler')));
    expect(fence.data?.holder).toBe(current.id);
  });

  it('dashboard in headless Chromium: shows the KV leader; clicking its kill button shows a new leader', async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
    await page.goto(up!.dashboardUrl);
    const leaderText = page.getByTestId('kv-leader');
    // Page-side expressions as strings: they run in the browser, not under Node's types.
    await page.waitForFunction(`/^kv-\\d$/.test(document.getElementById('kv-leader')?.textContent ?? '')`, undefined, { timeout: DEADLINE_MS });
    const oldLeader = (await leaderText.textContent())!;
    // The page names the same leader the members report.
    expect((await state()).kv.find((m) => m.role === 'leader')?.id).toBe(oldLeader);
    // The controllers' leases and their holders are on the page too.
    for (const k of CONTROLLER_KINDS) {
      await page.waitForFunction(`(document.querySelector('tr[data-lease="${leaseName(k)}"] [data-field="holder"]')?.textContent ?? '').startsWith('${k}-')`, undefined, { timeout: DEADLINE_MS });
    }

    await page.locator(`#kv tr[data-component="${oldLeader}"] button[data-action="kill"]`).click();
    await page.waitForFunction(`(() => { const t = document.getElementById('kv-leader')?.textContent ?? ''; return /^kv-\\d$/.test(t) && t !== '${oldLeader}'; })()`, undefined, { timeout: DEADLINE_MS });
    const newLeader = (await leaderText.textContent())!;
    expect(newLeader).not.toBe(oldLeader);
    expect(await page.locator(`#kv tr[data-component="${oldLeader}"]`).textContent()).toContain('exited');
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    await page.locator(`#kv tr[data-component="${oldLeader}"] button[data-action="restart"]`).click();
    await waitFor('the killed member is back and healthy', async () => (await state()).kv.every((m) => m.healthy), DEADLINE_MS, 500);
  }, 240_000);

  it('chaos for 20 s: no acknowledged write lost, never two active replicas of a controller', async () => {
    const report = await runChaos({ dataDir: dir, durationMs: 20_000, seed: 11, writers: 3, faultIntervalMs: 2_000, downMinMs: 500, downMaxMs: 3_000, settleTimeoutMs: 180_000, log: () => undefined });
    expect(report.faults.length).toBeGreaterThan(0);
    expect(report.availability.acknowledged).toBeGreaterThan(0);
    expect(report.acknowledgedLost).toEqual([]);
    expect(report.doubleLeadership).toEqual([]);
    expect(report.historyIncomplete).toBe(false);
    expect(Object.values(report.fencedWritesSeen).every((n) => n > 0)).toBe(true);
    expect(report.ok).toBe(true);
  }, 400_000);

  it('stops every process it started, and `up` on the same folder resumes the same cluster', async () => {
    const pids = up!.plan.components.map((c) => up!.supervisor.pid(c.id)).filter((p): p is number => p !== undefined);
    expect(pids.length).toBe(up!.plan.components.length);
    const first = up!;
    up = undefined;
    await first.stop();
    for (const pid of pids) expect(processAlive(pid), `pid ${pid}`).toBe(false);

    up = await startUp(options(), ac.signal);
    expect(up.state.clusterToken).toBe(first.state.clusterToken);
    expect(up.apiserverUrl).toBe(first.apiserverUrl);
    expect(lines.some((l) => l.startsWith('resuming'))).toBe(true);
    const again = new KubeClient({ server: up.apiserverUrl, token: up.state.adminToken, caPem: await readFile(join(dir, 'pki', 'ca.crt'), 'utf8') });
    await waitFor('the ConfigMap written before the restart is there', async () => {
      try {
        return (await again.get<ConfigMap>(paths.configMap('default', 'before-restart'))).data?.greeting === 'hello';
      } catch {
        return false;
      }
    }, DEADLINE_MS, 500);
  }, 300_000);
});
