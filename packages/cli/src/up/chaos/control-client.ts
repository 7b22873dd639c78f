// `halyard chaos`'s handle on a running `halyard up`: its dashboard's control API and state.
import { CONTROL_HEADER } from '../dashboard/server.ts';
import type { ClusterView } from '../dashboard/view.ts';
import type { ControlAction } from '../control.ts';
import { UpError } from '../errors.ts';

export const CONTROL_TIMEOUT_MS = 120_000;

export class ControlClient {
  constructor(readonly dashboardUrl: string) {}

  async state(): Promise<ClusterView> {
    let res: Response;
    try {
      res = await fetch(new URL('/api/state', this.dashboardUrl), { signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      throw new UpError('NotRunning', `no halyard up answers at ${this.dashboardUrl} (${e instanceof Error ? e.message : String(e)}): start it first`);
    }
    if (!res.ok) throw new UpError('BadResponse', `${this.dashboardUrl}api/state: HTTP ${res.status}`);
    const v = (await res.json()) as ClusterView;
    if (!Array.isArray(v.kv) || !Array.isArray(v.apiservers) || !Array.isArray(v.controllers)) throw new UpError('BadResponse', 'the state is not a cluster view');
    return v;
  }

  async act(action: ControlAction, kind: 'components' | 'nodes', name: string): Promise<void> {
    const res = await fetch(new URL(`/api/${kind}/${encodeURIComponent(name)}/${action}`, this.dashboardUrl), { method: 'POST', headers: { [CONTROL_HEADER]: '1' }, signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
    if (!res.ok) throw new UpError('BadResponse', `${action} ${name}: HTTP ${res.status} ${await res.text()}`);
  }
}
