// What chaos needs to judge the controllers: every version of their Leases and every fenced write, from a
// list at the start and a watch from there on, resumed from the last resourceVersion whenever the
// apiserver under it dies (through the load balancer). A 410 Gone means versions were compacted away
// and the history has a hole: it is then marked incomplete and the verdict says so.
import { CONTROLLER_NAMESPACE, fenceName, leaseName } from '../controllers/names.ts';
import { parseFence } from '../controllers/fence.ts';
import type { LeaseObject } from '../dashboard/lease-view.ts';
import { type ConfigMap, type KubeClient, type KubeList, type KubeObject, paths } from '../kube/kube-client.ts';
import type { FenceWrite, LeaseVersion } from './fencing-check.ts';

/** Bound on recorded versions (a 10-minute run at one write a second per controller is far below). */
export const HISTORY_VERSIONS_MAX = 200_000;
const RETRY_MS = 500;

export class ControllerHistory {
  readonly leases: LeaseVersion[] = [];
  readonly writes: FenceWrite[] = [];
  incomplete = false;
  /** resourceVersion of the initial lists: the start of the observed window. */
  startRevision = 0;
  private readonly ac = new AbortController();
  private readonly done: Promise<void>[] = [];

  constructor(
    private readonly kube: KubeClient,
    private readonly controllers: readonly string[],
  ) {}

  /** Lists (retrying until an apiserver answers) and starts the watches. */
  async start(signal: AbortSignal): Promise<void> {
    const [leaseRv, cmRv] = await Promise.all([this.initial<LeaseObject>(paths.leases(CONTROLLER_NAMESPACE), (o) => this.onLease(o), signal), this.initial<ConfigMap>(paths.configMaps(CONTROLLER_NAMESPACE), (o) => this.onConfigMap(o), signal)]);
    this.startRevision = Math.min(Number(leaseRv), Number(cmRv));
    this.done.push(this.follow<LeaseObject>(paths.leases(CONTROLLER_NAMESPACE), leaseRv, (o) => this.onLease(o)));
    this.done.push(this.follow<ConfigMap>(paths.configMaps(CONTROLLER_NAMESPACE), cmRv, (o) => this.onConfigMap(o)));
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await Promise.allSettled(this.done);
  }

  private async initial<T extends KubeObject>(path: string, on: (o: T) => void, signal: AbortSignal): Promise<string> {
    for (;;) {
      try {
        const list = await this.kube.get<KubeList<T>>(path, signal);
        for (const o of list.items) on(o);
        return list.metadata.resourceVersion ?? '0';
      } catch (e) {
        if (signal.aborted) throw e;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  private async follow<T extends KubeObject>(path: string, fromRv: string, on: (o: T) => void): Promise<void> {
    let rv = fromRv;
    while (!this.ac.signal.aborted) {
      try {
        for await (const ev of this.kube.watch<T>(path, rv, this.ac.signal)) {
          if (ev.object.metadata.resourceVersion !== undefined) rv = ev.object.metadata.resourceVersion;
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED') on(ev.object);
        }
      } catch (e) {
        if ((e as { status?: number }).status === 410) {
          this.incomplete = true;
          return;
        }
      }
      if (this.ac.signal.aborted) return;
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }

  private push<T>(list: T[], item: T): void {
    if (list.length >= HISTORY_VERSIONS_MAX) {
      this.incomplete = true;
      return;
    }
    list.push(item);
  }

  private onLease(o: LeaseObject): void {
    const controller = this.controllers.find((c) => leaseName(c) === o.metadata.name);
    if (controller === undefined) return;
    this.push(this.leases, { controller, revision: Number(o.metadata.resourceVersion), holder: o.spec?.holderIdentity ?? '' });
  }

  private onConfigMap(o: ConfigMap): void {
    const controller = this.controllers.find((c) => fenceName(c) === o.metadata.name);
    if (controller === undefined) return;
    const f = parseFence(o);
    if (f !== undefined) this.push(this.writes, { controller, revision: Number(o.metadata.resourceVersion), holder: f.holder, token: f.token });
  }
}
