// The faults of a chaos run, one at a time: kill (SIGKILL) a KV member — the leader half the time —, an
// apiserver, a controller replica — the active one half the time — or a whole node, keep it down for a
// while, restart it, wait, repeat. Targets come from a seeded PRNG so a run's choices can be replayed.
// Never more KV members down than the quorum allows, never every apiserver: the run measures how the
// cluster rides out the failures it is built for, not an outage by design.
import type { ClusterView } from '../dashboard/view.ts';
import { errorMessage } from '../errors.ts';
import type { ControlClient } from './control-client.ts';
import { SeededRng } from '@halyard/kv/util';

export interface NemesisOptions {
  readonly seed: number;
  /** Pause between faults (jittered ×0.5..1.5). */
  readonly intervalMs: number;
  /** How long a killed target stays down (uniform in [min, max]). */
  readonly downMinMs: number;
  readonly downMaxMs: number;
  readonly log: (line: string) => void;
}

export interface FaultRecord {
  readonly atMs: number;
  readonly kind: 'kv' | 'kv-leader' | 'apiserver' | 'controller' | 'active-controller' | 'node';
  readonly target: string;
  readonly downMs: number;
  readonly error?: string;
}

/** A seeded source of floats in [0, 1) (the KV package's generator), so one seed picks the same faults. */
export function prng(seed: number): () => number {
  const rng = new SeededRng(seed);
  return () => rng.float();
}

export interface Choice {
  readonly kind: FaultRecord['kind'];
  readonly api: 'components' | 'nodes';
  readonly target: string;
}

/** Picks the next fault among those the cluster can take now; undefined when none fits. Pure. */
export function chooseFault(v: ClusterView, random: () => number): Choice | undefined {
  const kvDownMax = Math.floor((v.kv.length - 1) / 2);
  const kvDown = v.kv.filter((m) => m.process !== 'running').length;
  const upKv = v.kv.filter((m) => m.process === 'running');
  const upApi = v.apiservers.filter((a) => a.process === 'running');
  const upCtl = v.controllers.filter((c) => c.process === 'running');
  const pick = <T>(xs: readonly T[]): T | undefined => (xs.length === 0 ? undefined : xs[Math.floor(random() * xs.length)]);
  const options: (() => Choice | undefined)[] = [];
  if (kvDown < kvDownMax) {
    options.push(() => {
      const leader = upKv.find((m) => m.role === 'leader');
      if (leader !== undefined && random() < 0.5) return { kind: 'kv-leader', api: 'components', target: leader.id };
      const m = pick(upKv);
      return m && { kind: 'kv', api: 'components', target: m.id };
    });
  }
  if (upApi.length > 1) options.push(() => ((a) => a && ({ kind: 'apiserver', api: 'components', target: a.id } as const))(pick(upApi)));
  if (upCtl.length > 0) {
    options.push(() => {
      const active = upCtl.filter((c) => c.leading);
      if (active.length > 0 && random() < 0.5) return { kind: 'active-controller', api: 'components', target: pick(active)!.id };
      const c = pick(upCtl);
      return c && { kind: 'controller', api: 'components', target: c.id };
    });
  }
  // A whole node: only when losing everything on it stays within both budgets.
  const nodeFits = v.nodes.filter((n) => {
    const kvOn = n.components.filter((id) => upKv.some((m) => m.id === id)).length;
    const apiOn = n.components.filter((id) => upApi.some((a) => a.id === id)).length;
    const anyUp = n.components.some((id) => [...upKv, ...upApi, ...upCtl].some((c) => c.id === id));
    return anyUp && kvDown + kvOn <= kvDownMax && upApi.length - apiOn >= 1;
  });
  if (nodeFits.length > 0) options.push(() => ((n) => n && ({ kind: 'node', api: 'nodes', target: n.name } as const))(pick(nodeFits)));
  const f = pick(options);
  return f?.();
}

export class Nemesis {
  readonly faults: FaultRecord[] = [];
  private readonly random: () => number;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly control: ControlClient,
    private readonly o: NemesisOptions,
  ) {
    this.random = prng(o.seed);
  }

  start(): void {
    this.loop = this.run();
  }

  /** Stops after the current fault has been repaired. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.sleep(this.o.intervalMs * (0.5 + this.random()));
      if (this.stopped) return;
      let choice: Choice | undefined;
      try {
        choice = chooseFault(await this.control.state(), this.random);
      } catch (e) {
        this.o.log(`nemesis: no state (${errorMessage(e)})`);
        continue;
      }
      if (choice === undefined) continue;
      const downMs = Math.round(this.o.downMinMs + this.random() * (this.o.downMaxMs - this.o.downMinMs));
      const atMs = Date.now();
      try {
        this.o.log(`nemesis: kill ${choice.target} (${choice.kind}) for ${downMs} ms`);
        await this.control.act('kill', choice.api, choice.target);
        await this.sleep(downMs);
        await this.control.act('start', choice.api, choice.target);
        this.faults.push({ atMs, kind: choice.kind, target: choice.target, downMs });
      } catch (e) {
        this.faults.push({ atMs, kind: choice.kind, target: choice.target, downMs, error: errorMessage(e) });
        this.o.log(`nemesis: ${choice.target}: ${errorMessage(e)}`);
      }
    }
  }
}
