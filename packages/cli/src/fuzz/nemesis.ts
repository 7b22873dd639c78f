// Faults injected into a real cluster: kill -9 and restart, SIGSTOP/SIGCONT, and network partitions
// through each member's test-only fault endpoint (POST /debug/faults, --unsafe-fault-injection). Only
// processes the cluster started are ever signalled.

import type { LocalCluster } from '../cluster/local-cluster.ts';
import { memberIdOf } from '@halyard/kv/server';
import type { Rng } from '@halyard/kv/util';

export const NEMESIS_KINDS = ['kill', 'pause', 'partition', 'restart'] as const;
export type NemesisKind = (typeof NEMESIS_KINDS)[number];

export function parseNemesis(spec: string): NemesisKind[] {
  const out: NemesisKind[] = [];
  for (const s of spec.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    if (!(NEMESIS_KINDS as readonly string[]).includes(s)) throw new Error(`unknown nemesis ${s}; known: ${NEMESIS_KINDS.join(',')}`);
    out.push(s as NemesisKind);
  }
  return out;
}

async function postFaults(clientUrl: string, body: unknown): Promise<void> {
  const res = await fetch(new URL('/debug/faults', clientUrl), { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`fault endpoint of ${clientUrl} answered ${res.status}: ${await res.text()}`);
}

export class Nemesis {
  readonly log: string[] = [];
  private readonly partitioned = new Set<string>();

  constructor(
    private readonly cluster: LocalCluster,
    private readonly kinds: readonly NemesisKind[],
    private readonly rng: Rng,
    private readonly clusterToken: string,
    private readonly now: () => number,
  ) {}

  private note(s: string): void {
    this.log.push(`${Math.round(this.now())}ms ${s}`);
  }

  private idOf(name: string): number {
    const m = this.cluster.members.find((x) => x.name === name)!;
    return memberIdOf(m.name, [m.peerUrl], this.clusterToken);
  }

  /** One fault, then its repair after `holdMs`. Keeps a majority alive: never faults two members at once. */
  async strike(holdMs: number, signal: AbortSignal): Promise<void> {
    if (this.kinds.length === 0) return;
    const kind = this.kinds[this.rng.int(this.kinds.length)]!;
    const members = this.cluster.members.filter((m) => this.cluster.isRunning(m.name));
    const victim = members[this.rng.int(members.length)];
    if (victim === undefined) return;
    // The run's stop signal outlives every strike: each hold removes its listener when it ends on time.
    const hold = (): Promise<void> =>
      new Promise((r) => {
        const onAbort = (): void => {
          clearTimeout(t);
          r();
        };
        const t = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          r();
        }, holdMs);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    switch (kind) {
      case 'kill':
        this.note(`kill -9 ${victim.name}`);
        await this.cluster.kill(victim.name);
        await hold();
        this.note(`restart ${victim.name}`);
        await this.cluster.start(victim.name);
        return;
      case 'restart':
        this.note(`graceful restart ${victim.name}`);
        await this.cluster.signal(victim.name, 'SIGTERM');
        await this.cluster.start(victim.name);
        return;
      case 'pause':
        this.note(`SIGSTOP ${victim.name}`);
        await this.cluster.pause(victim.name);
        await hold();
        this.note(`SIGCONT ${victim.name}`);
        await this.cluster.resume(victim.name);
        return;
      case 'partition':
        await this.isolate(victim.name);
        await hold();
        await this.heal();
        return;
    }
  }

  /** Cut every link to and from one member, on both sides. */
  async isolate(name: string): Promise<void> {
    this.note(`partition ${name} from the rest`);
    const victimId = this.idOf(name);
    const others = this.cluster.members.filter((m) => m.name !== name && this.cluster.isRunning(m.name));
    await Promise.all(others.map((m) => postFaults(m.clientUrl, { peerId: victimId, dropOutgoing: true, dropIncoming: true })));
    const victim = this.cluster.members.find((m) => m.name === name)!;
    await Promise.all(others.map((m) => postFaults(victim.clientUrl, { peerId: this.idOf(m.name), dropOutgoing: true, dropIncoming: true })));
    this.partitioned.add(name);
  }

  async heal(): Promise<void> {
    this.note('heal all partitions');
    await Promise.all(
      this.cluster.members.filter((m) => this.cluster.isRunning(m.name)).map((m) => postFaults(m.clientUrl, { clear: true }).catch(() => undefined)),
    );
    this.partitioned.clear();
  }

  /** Undo everything: resume, restart the dead, heal. */
  async repairAll(): Promise<void> {
    for (const m of this.cluster.members) {
      if (this.cluster.isRunning(m.name)) await this.cluster.resume(m.name).catch(() => undefined);
      else await this.cluster.start(m.name);
    }
    await this.heal();
  }
}
