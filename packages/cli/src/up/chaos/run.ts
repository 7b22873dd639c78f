// `halyard chaos`: faults against a running `halyard up` while writers create ConfigMaps through the load
// balancer and the controllers make their fenced writes; then everything is restarted and checked:
// acknowledged writes lost (must be 0), episodes of two active replicas of one controller (must be 0),
// and availability as the writers saw it.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CONTROLLER_NAMESPACE, STALE_LABEL } from '../controllers/names.ts';
import { errorMessage, UpError } from '../errors.ts';
import { type ConfigMap, KubeClient, type KubeList, paths } from '../kube/kube-client.ts';
import { CONTROLLER_KINDS } from '../plan.ts';
import { readState } from '../state-file.ts';
import { ControlClient } from './control-client.ts';
import { type DoubleLeadership, findDoubleLeadership, type StaleMarker } from './fencing-check.ts';
import { ControllerHistory } from './history.ts';
import { type FaultRecord, Nemesis } from './nemesis.ts';
import { type Availability, availability, CHAOS_NAMESPACE, CHAOS_RUN_LABEL, Workload } from './workload.ts';

export interface ChaosOptions {
  readonly dataDir: string;
  readonly durationMs: number;
  readonly seed: number;
  readonly writers: number;
  readonly faultIntervalMs: number;
  readonly downMinMs: number;
  readonly downMaxMs: number;
  /** How long the end-of-run repair and checks may take. */
  readonly settleTimeoutMs: number;
  readonly log: (line: string) => void;
}

/** Page size of the final list of the run's ConfigMaps. */
const LIST_PAGE = 500;

export interface ChaosReport {
  readonly runId: string;
  readonly seed: number;
  readonly durationMs: number;
  readonly faults: readonly FaultRecord[];
  readonly availability: Availability;
  readonly acknowledgedLost: readonly string[];
  readonly unknownPresent: number;
  readonly doubleLeadership: readonly DoubleLeadership[];
  readonly fencedWritesSeen: Readonly<Record<string, number>>;
  readonly leaderChanges: Readonly<Record<string, number>>;
  readonly historyIncomplete: boolean;
  readonly ok: boolean;
}

async function retrying<T>(what: string, deadlineMs: number, f: () => Promise<T>): Promise<T> {
  let last: unknown;
  while (performance.now() < deadlineMs) {
    try {
      return await f();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new UpError('NotReady', `${what}: ${errorMessage(last)}`);
}

async function listAll<T>(kube: KubeClient, path: string, selector: string): Promise<T[]> {
  const items: T[] = [];
  let cont = '';
  do {
    const page = await kube.get<KubeList<T>>(`${path}?labelSelector=${encodeURIComponent(selector)}&limit=${LIST_PAGE}${cont !== '' ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    items.push(...page.items);
    cont = page.metadata.continue ?? '';
  } while (cont !== '');
  return items;
}

/** Restarts whatever is down and waits until every KV member, apiserver and controller replica runs again. */
async function repair(control: ControlClient, deadlineMs: number): Promise<void> {
  await retrying('the cluster did not come back whole', deadlineMs, async () => {
    const v = await control.state();
    const down = [...v.kv, ...v.apiservers, ...v.controllers].filter((c) => c.process !== 'running');
    for (const c of down) await control.act('start', 'components', c.id);
    const after = await control.state();
    if (!after.kv.every((m) => m.healthy) || !after.apiservers.every((a) => a.ready)) throw new Error('not yet healthy');
  });
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const dataDir = resolve(o.dataDir);
  const state = await readState(dataDir);
  if (state === undefined) throw new UpError('NotRunning', `no cluster in ${dataDir}: run \`halyard up --data ${o.dataDir}\` first`);
  const control = new ControlClient(`http://127.0.0.1:${state.dashboardPort}/`);
  const initial = await control.state();
  const caPem = initial.loadBalancer.url.startsWith('https:') ? await readFile(join(dataDir, 'pki', 'ca.crt'), 'utf8') : undefined;
  const kube = new KubeClient({ server: initial.loadBalancer.url, token: state.adminToken, ...(caPem !== undefined ? { caPem } : {}) });
  const runId = randomBytes(4).toString('hex');
  o.log(`chaos run ${runId} (seed ${o.seed}) for ${o.durationMs} ms against ${initial.loadBalancer.url}: ${o.writers} writers, a fault every ~${o.faultIntervalMs} ms`);

  const history = new ControllerHistory(kube, CONTROLLER_KINDS);
  await history.start(AbortSignal.timeout(o.settleTimeoutMs));
  const workload = new Workload({ kube, runId, writers: o.writers });
  const nemesis = new Nemesis(control, { seed: o.seed, intervalMs: o.faultIntervalMs, downMinMs: o.downMinMs, downMaxMs: o.downMaxMs, log: o.log });
  const startedAtMs = Date.now();
  workload.start();
  nemesis.start();
  await new Promise((r) => setTimeout(r, o.durationMs));
  await nemesis.stop();
  await workload.stop();
  const endedAtMs = Date.now();
  o.log(`faults done (${nemesis.faults.length}); restarting what is down and checking…`);

  const deadlineMs = performance.now() + o.settleTimeoutMs;
  await repair(control, deadlineMs);
  const present = new Map((await retrying('cannot list the written ConfigMaps', deadlineMs, () => listAll<ConfigMap>(kube, paths.configMaps(CHAOS_NAMESPACE), `${CHAOS_RUN_LABEL}=${runId}`))).map((c) => [c.metadata.name, c.data?.value]));
  const acked = workload.records.filter((r) => r.outcome === 'ok');
  const acknowledgedLost = acked.filter((r) => present.get(r.name) !== r.value).map((r) => r.name);
  const unknownPresent = workload.records.filter((r) => r.outcome === 'unknown' && present.has(r.name)).length;

  // Let the watches catch up with everything written before the check.
  const markers = await retrying('cannot list stale markers', deadlineMs, () => listAll<ConfigMap>(kube, paths.configMaps(CONTROLLER_NAMESPACE), STALE_LABEL));
  await new Promise((r) => setTimeout(r, 2_000));
  await history.stop();
  const stale: StaleMarker[] = markers
    .filter((m) => Number(m.metadata.resourceVersion) > history.startRevision)
    .map((m) => ({ controller: m.metadata.labels?.[STALE_LABEL] ?? '', identity: m.data?.identity ?? '', token: Number(m.data?.token) }));
  const doubleLeadership = findDoubleLeadership(history.leases, history.writes, stale);
  const count = (xs: readonly { controller: string }[]): Record<string, number> => Object.fromEntries(CONTROLLER_KINDS.map((c) => [c, xs.filter((x) => x.controller === c).length]));
  const holderChanges = CONTROLLER_KINDS.map((c) => {
    const hs = history.leases.filter((l) => l.controller === c).map((l) => l.holder);
    return [c, hs.filter((h, i) => i > 0 && h !== '' && h !== hs[i - 1]).length] as const;
  });
  const report: ChaosReport = {
    runId,
    seed: o.seed,
    durationMs: endedAtMs - startedAtMs,
    faults: nemesis.faults,
    availability: availability(workload.records, startedAtMs, endedAtMs),
    acknowledgedLost,
    unknownPresent,
    doubleLeadership,
    fencedWritesSeen: count(history.writes),
    leaderChanges: Object.fromEntries(holderChanges),
    historyIncomplete: history.incomplete,
    ok: acknowledgedLost.length === 0 && doubleLeadership.length === 0 && !history.incomplete,
  };
  return report;
}

export function formatReport(r: ChaosReport): string {
  const a = r.availability;
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const faults = r.faults.reduce<Record<string, number>>((m, f) => ((m[f.kind] = (m[f.kind] ?? 0) + 1), m), {});
  return [
    `chaos run ${r.runId} (seed ${r.seed}), ${(r.durationMs / 1000).toFixed(1)} s`,
    `  faults:                    ${r.faults.length} (${Object.entries(faults).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'})${r.faults.some((f) => f.error) ? `, ${r.faults.filter((f) => f.error).length} failed to apply` : ''}`,
    `  writes:                    ${a.requests} requests, ${a.acknowledged} acknowledged, ${a.unknown} unknown (${r.unknownPresent} of them applied), ${a.failed} refused`,
    `  acknowledged writes lost:  ${r.acknowledgedLost.length}${r.acknowledgedLost.length > 0 ? ` (${r.acknowledgedLost.slice(0, 5).join(', ')}…)` : ''}`,
    `  two active replicas:       ${r.doubleLeadership.length}${r.doubleLeadership.map((d) => `\n    ${d.controller}: ${d.replica} token ${d.token} (${d.evidence}${d.leaseHolder !== undefined ? ` while ${d.leaseHolder || 'nobody'} held the lease` : ''})`).join('')}`,
    `  fenced writes observed:    ${Object.entries(r.fencedWritesSeen).map(([c, n]) => `${c} ${n}`).join(', ')}`,
    `  lease holder changes:      ${Object.entries(r.leaderChanges).map(([c, n]) => `${c} ${n}`).join(', ')}`,
    `  availability (clients):    ${pct(a.successRatio)} of requests succeeded; longest stretch without a successful write ${(a.longestOutageMs / 1000).toFixed(1)} s`,
    ...(r.historyIncomplete ? ['  WARNING: the controllers\' history has a hole (compacted or too long): the double-leadership check is incomplete'] : []),
    r.ok ? 'PASS: no acknowledged write lost, never two active replicas' : 'FAIL',
  ].join('\n');
}
