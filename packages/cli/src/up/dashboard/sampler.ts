// Keeps the dashboard's view of the cluster current: every SAMPLE_INTERVAL_MS it asks each running KV
// member for its status, each apiserver for /readyz and each controller replica for /status; Leases come
// from a watch through the load balancer (resumed from the last resourceVersion when an apiserver dies).
// Listeners get the whole view whenever something other than the clock changed.
import type { KvClient } from '@halyard/kv-client';
import { errorMessage } from '../errors.ts';
import { leaseName } from '../controllers/names.ts';
import { type ClusterPlan, CONTROLLER_KINDS, apiserverComponents, controllerComponents, kvClientUrl, kvComponents, topologyRisk } from '../plan.ts';
import { type KubeClient, paths } from '../kube/kube-client.ts';
import { httpOk } from '../process/probes.ts';
import type { Supervisor } from '../process/supervisor.ts';
import { LOAD_BALANCER_ID } from '../lb/index.ts';
import { type LeaseObject, leaseView } from './lease-view.ts';
import { Ring } from './ring.ts';
import type { ApiserverView, ClusterView, ControllerView, KvMemberView, LeaderChange, LeaseView, ThroughputPoint } from './view.ts';

export const SAMPLE_INTERVAL_MS = 500;
/** Deadline of one status probe; a member that does not answer in time shows as unhealthy. */
export const PROBE_TIMEOUT_MS = 1_000;
/** Points of the throughput plot (at one per sample: five minutes). */
export const THROUGHPUT_POINTS_MAX = 600;
export const LEADER_CHANGES_MAX = 200;
export const EVENTS_MAX = 100;
/** Wait before re-opening a broken Lease watch. */
export const WATCH_RETRY_MS = 1_000;
/** The namespace of the controllers' (and apiservers' identity) Leases. */
export const LEASE_NAMESPACE = 'kube-system';

export interface SamplerOptions {
  readonly plan: ClusterPlan;
  readonly supervisor: Supervisor;
  readonly kv: KvClient;
  readonly kube: KubeClient;
  readonly dataDir: string;
  readonly loadBalancer: { readonly kind: string; readonly url: string };
  readonly kubeconfig: string;
  readonly apiserverTls: boolean;
  /** Scheme of the KV members' client URLs (https when they run with certificates). */
  readonly kvScheme?: 'http' | 'https';
}

interface ControllerStatus {
  readonly leading: boolean;
  readonly fencingToken: number | null;
  readonly fencedWrites: number;
  readonly staleWritesRefused: number;
}

export class Sampler {
  private readonly listeners = new Set<(v: ClusterView) => void>();
  private readonly leases = new Map<string, LeaseView>();
  private readonly leaderChanges = new Ring<LeaderChange>(LEADER_CHANGES_MAX);
  private readonly throughput = new Ring<ThroughputPoint>(THROUGHPUT_POINTS_MAX);
  private readonly events = new Ring<{ atMs: number; text: string }>(EVENTS_MAX);
  private readonly ac = new AbortController();
  private leaseWatch = false;
  private kvLeader = '';
  private lastRevision: { atMs: number; revision: number } | undefined;
  private current: ClusterView | undefined;
  private lastKey = '';

  constructor(private readonly o: SamplerOptions) {}

  /** The latest view (undefined before the first sample). */
  view(): ClusterView | undefined {
    return this.current;
  }

  onChange(listener: (v: ClusterView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Something happened that a person should see (a kill from the dashboard, an exit). */
  note(text: string): void {
    this.events.push({ atMs: Date.now(), text });
  }

  start(): void {
    void this.sampleLoop();
    void this.watchLeases();
  }

  stop(): void {
    this.ac.abort();
  }

  private async sampleLoop(): Promise<void> {
    while (!this.ac.signal.aborted) {
      const started = performance.now();
      try {
        await this.sample();
      } catch (e) {
        this.note(`sampler: ${errorMessage(e)}`);
      }
      const waitMs = Math.max(50, SAMPLE_INTERVAL_MS - (performance.now() - started));
      await new Promise<void>((r) => {
        const done = (): void => {
          clearTimeout(t);
          this.ac.signal.removeEventListener('abort', done);
          r();
        };
        const t = setTimeout(done, waitMs);
        this.ac.signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  private async sample(): Promise<void> {
    const [kv, apiservers, controllers] = await Promise.all([this.sampleKv(), this.sampleApiservers(), this.sampleControllers()]);
    const atMs = Date.now();
    this.trackKvLeader(kv, atMs);
    this.trackThroughput(kv, atMs);
    const { plan } = this.o;
    const view: ClusterView = {
      atMs,
      dataDir: this.o.dataDir,
      shape: plan.shape,
      nodes: plan.nodes,
      risk: topologyRisk(plan),
      loadBalancer: { ...this.o.loadBalancer, pid: this.o.supervisor.ids().includes(LOAD_BALANCER_ID) ? (this.o.supervisor.pid(LOAD_BALANCER_ID) ?? null) : null },
      kubeconfig: this.o.kubeconfig,
      kv,
      apiservers,
      controllers,
      leases: [...this.leases.values()].sort((a, b) => a.name.localeCompare(b.name)),
      leaseWatch: this.leaseWatch,
      leaderChanges: this.leaderChanges.toArray(),
      throughput: this.throughput.toArray(),
      events: this.events.toArray(),
    };
    this.current = view;
    const key = JSON.stringify({ ...view, atMs: 0, throughput: view.throughput.length === 0 ? 0 : view.throughput[view.throughput.length - 1] });
    if (key === this.lastKey) return;
    this.lastKey = key;
    for (const l of this.listeners) l(view);
  }

  private async sampleKv(): Promise<KvMemberView[]> {
    const { supervisor, kv } = this.o;
    const rows = await Promise.all(
      kvComponents(this.o.plan).map(async (c) => {
        const st = supervisor.status(c.id);
        const base = { id: c.id, node: c.node, endpoint: kvClientUrl(c, this.o.kvScheme), process: st.state, pid: st.pid ?? null };
        const down = (error: string): KvMemberView & { memberId?: number; leaderId?: number } => ({ ...base, role: 'down', term: null, commitIndex: null, appliedIndex: null, revision: null, healthy: false, error });
        if (st.state !== 'running' && st.state !== 'starting') return down(st.lastExit !== undefined ? `exited (${st.lastExit})` : 'stopped');
        try {
          const s = await kv.status(kvClientUrl(c, this.o.kvScheme), { timeoutMs: PROBE_TIMEOUT_MS });
          return { ...base, role: s.leader === s.header.memberId ? 'leader' : s.isLearner ? 'learner' : s.leader === 0 ? 'no leader' : 'follower', term: s.raftTerm, commitIndex: s.raftIndex, appliedIndex: s.raftAppliedIndex, revision: s.header.revision, healthy: s.leader !== 0 && s.errors.length === 0, error: s.errors.length > 0 ? s.errors.join('; ') : null };
        } catch (e) {
          return down(errorMessage(e));
        }
      }),
    );
    return rows;
  }

  private async sampleApiservers(): Promise<ApiserverView[]> {
    return Promise.all(
      apiserverComponents(this.o.plan).map(async (c): Promise<ApiserverView> => {
        const st = this.o.supervisor.status(c.id);
        const base = { id: c.id, node: c.node, url: `${this.o.apiserverTls ? 'https' : 'http'}://127.0.0.1:${c.port}`, process: st.state, pid: st.pid ?? null };
        if (st.state !== 'running' && st.state !== 'starting') return { ...base, ready: false, error: st.lastExit !== undefined ? `exited (${st.lastExit})` : 'stopped' };
        const ready = await httpOk('127.0.0.1', c.port, '/readyz', PROBE_TIMEOUT_MS, this.o.apiserverTls);
        return { ...base, ready, error: ready ? null : '/readyz failed' };
      }),
    );
  }

  private async sampleControllers(): Promise<ControllerView[]> {
    return Promise.all(
      controllerComponents(this.o.plan).map(async (c): Promise<ControllerView> => {
        const st = this.o.supervisor.status(c.id);
        const base = { id: c.id, node: c.node, controller: c.controller, process: st.state, pid: st.pid ?? null };
        const none = { leading: false, fencingToken: null, fencedWrites: 0, staleWritesRefused: 0 };
        if (st.state !== 'running' && st.state !== 'starting') return { ...base, ...none };
        const s = await fetchControllerStatus(c.statusPort);
        return { ...base, ...(s ?? none) };
      }),
    );
  }

  private trackKvLeader(kv: readonly (KvMemberView & { memberId?: number })[], atMs: number): void {
    // The leader with the highest term: right after an election an old leader may not know yet.
    const leaders = kv.filter((m) => m.role === 'leader').sort((a, b) => (b.term ?? 0) - (a.term ?? 0));
    const leader = leaders[0]?.id ?? '';
    if (leader !== '' && leader !== this.kvLeader) {
      this.leaderChanges.push({ atMs, what: 'kv', from: this.kvLeader, to: leader });
      this.kvLeader = leader;
    }
  }

  private trackThroughput(kv: readonly KvMemberView[], atMs: number): void {
    const revision = Math.max(0, ...kv.map((m) => m.revision ?? 0));
    if (revision === 0) return;
    const last = this.lastRevision;
    this.lastRevision = { atMs, revision };
    if (last === undefined || atMs <= last.atMs) return;
    const writesPerSecond = Math.max(0, ((revision - last.revision) * 1000) / (atMs - last.atMs));
    this.throughput.push({ atMs, writesPerSecond: Math.round(writesPerSecond * 10) / 10 });
  }

  private applyLease(obj: LeaseObject, deleted: boolean): void {
    const key = `${obj.metadata.namespace ?? LEASE_NAMESPACE}/${obj.metadata.name}`;
    const before = this.leases.get(key);
    if (deleted) {
      this.leases.delete(key);
      return;
    }
    const v = leaseView(obj, this.o.plan);
    this.leases.set(key, v);
    // Elections only: an apiserver's identity Lease changes holder at each restart, which is not a failover.
    const election = CONTROLLER_KINDS.some((k) => leaseName(k) === v.name);
    if (election && v.holder !== '' && v.holder !== (before?.holder ?? '')) this.leaderChanges.push({ atMs: Date.now(), what: v.name, from: before?.holder ?? '', to: v.holder });
  }

  private async watchLeases(): Promise<void> {
    const { kube } = this.o;
    const signal = this.ac.signal;
    let rv = '';
    while (!signal.aborted) {
      try {
        if (rv === '') {
          const list = await kube.get<{ metadata: { resourceVersion?: string }; items: LeaseObject[] }>(paths.leases(LEASE_NAMESPACE), signal);
          this.leases.clear();
          for (const l of list.items) this.applyLease(l, false);
          rv = list.metadata.resourceVersion ?? '0';
        }
        this.leaseWatch = true;
        for await (const ev of kube.watch<LeaseObject>(paths.leases(LEASE_NAMESPACE), rv, signal)) {
          if (ev.object.metadata.resourceVersion !== undefined) rv = ev.object.metadata.resourceVersion;
          if (ev.type === 'BOOKMARK') continue;
          this.applyLease(ev.object, ev.type === 'DELETED');
        }
      } catch (e) {
        // 410 Gone: our resourceVersion was compacted away; list again.
        if ((e as { status?: number }).status === 410) rv = '';
      }
      this.leaseWatch = false;
      if (signal.aborted) return;
      await new Promise<void>((r) => setTimeout(r, WATCH_RETRY_MS));
    }
  }
}

/** A controller replica's /status, validated; undefined when it does not answer or answers nonsense. */
export async function fetchControllerStatus(port: number): Promise<ControllerStatus | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!res.ok) return undefined;
    const o = (await res.json()) as Record<string, unknown>;
    const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    return { leading: o.leading === true, fencingToken: typeof o.fencingToken === 'number' ? o.fencingToken : null, fencedWrites: num(o.fencedWrites), staleWritesRefused: num(o.staleWritesRefused) };
  } catch {
    return undefined;
  }
}
