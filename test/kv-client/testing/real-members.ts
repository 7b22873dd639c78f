// Real members in this process on loopback, for tests of the client and the CLI against the real server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MemberFlags, type RunningMember, startMember } from '@halyard/kv/server';
import { freePorts, waitFor } from '../../../packages/kv/src/server/test-util.testutil.ts';
import { silentLogger } from '@halyard/kv/transport';

export class RealMembers {
  private constructor(
    /** undefined once stopped. */
    readonly running: (RunningMember | undefined)[],
    readonly urls: readonly string[],
    private readonly dirs: readonly string[],
  ) {}

  /** Starts `n` members (20 ms ticks) and waits for a leader. */
  static async start(n: number): Promise<RealMembers> {
    const ports = await freePorts(2 * n);
    const names = Array.from({ length: n }, (_, i) => `m${i + 1}`);
    const initialCluster = new Map(names.map((nm, i) => [nm, `http://127.0.0.1:${ports[2 * i]}`]));
    const flags: MemberFlags[] = [];
    const dirs: string[] = [];
    for (let i = 0; i < n; i++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'halyard-client-'));
      dirs.push(dataDir);
      const name = names[i] as string;
      flags.push({ name, dataDir, peerUrl: initialCluster.get(name) as string, clientUrl: `http://127.0.0.1:${ports[2 * i + 1]}`, initialCluster, tickMs: 20 });
    }
    const members = new RealMembers(await Promise.all(flags.map((f) => startMember(f, silentLogger))), flags.map((f) => f.clientUrl), dirs);
    await waitFor(() => members.leaderIndex() !== undefined, 30_000, 'a leader');
    return members;
  }

  leaderIndex(): number | undefined {
    const leaders = this.running.flatMap((r, i) => (r?.member.isLeader() === true ? [i] : []));
    return leaders.length === 1 ? leaders[0] : undefined;
  }

  async stop(i: number): Promise<void> {
    const r = this.running[i];
    this.running[i] = undefined;
    await r?.stop();
  }

  async close(): Promise<void> {
    await Promise.all(this.running.map((_, i) => this.stop(i)));
    await Promise.all(this.dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}
