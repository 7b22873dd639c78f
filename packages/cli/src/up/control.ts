// What a person (from the dashboard) or `halyard chaos` (over the control API) may do to the running
// cluster: kill or restart one component, or a whole node — every component on it, as when a machine
// dies. A kill is SIGKILL (a crash: no shutdown, no lease release); a restart starts the same command
// again, so a KV member comes back from its own data.
import { type ClusterPlan, findComponent, findNode } from './plan.ts';
import type { Supervisor } from './process/supervisor.ts';

export type ControlAction = 'kill' | 'restart' | 'start' | 'stop';
export const CONTROL_ACTIONS: readonly ControlAction[] = ['kill', 'restart', 'start', 'stop'];

export type ControlTarget = { readonly type: 'component'; readonly id: string } | { readonly type: 'node'; readonly name: string };

/** Start order inside a node: the store first, then what reads it, so readiness probes can pass. */
const KIND_ORDER = { kv: 0, apiserver: 1, controller: 2 } as const;

export class Control {
  constructor(
    private readonly plan: ClusterPlan,
    private readonly supervisor: Supervisor,
    private readonly note: (text: string) => void,
  ) {}

  /** Validates the target (UpError('UnknownComponent')) and returns the component ids it covers, in start order. */
  targetIds(target: ControlTarget): string[] {
    const ids = target.type === 'component' ? [findComponent(this.plan, target.id).id] : [...findNode(this.plan, target.name).components];
    return ids.sort((a, b) => KIND_ORDER[findComponent(this.plan, a).kind] - KIND_ORDER[findComponent(this.plan, b).kind]);
  }

  async act(action: ControlAction, target: ControlTarget): Promise<void> {
    const ids = this.targetIds(target);
    const what = target.type === 'component' ? target.id : `node ${target.name} (${ids.join(', ')})`;
    this.note(`${action} ${what}`);
    switch (action) {
      case 'kill':
        await Promise.all(ids.map((id) => this.supervisor.kill(id, 'SIGKILL')));
        return;
      case 'stop':
        await Promise.all(ids.map((id) => this.supervisor.kill(id, 'SIGTERM')));
        return;
      case 'start':
        // KV members of a node first (together: a lone member cannot be ready without a quorum anyway).
        for (const id of ids) await this.supervisor.start(id);
        return;
      case 'restart':
        await Promise.all(ids.map((id) => this.supervisor.kill(id, 'SIGTERM')));
        for (const id of ids) await this.supervisor.start(id);
        return;
      default: {
        const never: never = action;
        throw new Error(`unknown action ${String(never)}`);
      }
    }
  }
}
