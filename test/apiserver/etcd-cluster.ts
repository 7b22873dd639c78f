// A real 3-member etcd cluster on loopback for the apiserver's etcd back end: free ports, data on tmpfs,
// readiness by polling /health, kill -9 and restart of one member by pid. Only processes started here are
// ever signalled. The binary is Debian's etcd-server (/usr/bin/etcd); see test/etcd-diff/etcd-process.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdBinary } from '../etcd-diff/etcd-process.ts';

const READY_DEADLINE_MS = 60_000;

interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  child?: ChildProcess;
  exited?: Promise<void>;
  readonly lines: string[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export class EtcdCluster {
  private constructor(
    readonly members: EtcdMember[],
    private readonly root: string,
    private readonly token: string,
  ) {}

  static async start(size = 3): Promise<EtcdCluster> {
    etcdBinary();
    const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'halyard-apiserver-etcd-'));
    const members: EtcdMember[] = [];
    for (let i = 0; i < size; i++) {
      members.push({ name: `e${i}`, clientUrl: `http://127.0.0.1:${await freePort()}`, peerUrl: `http://127.0.0.1:${await freePort()}`, dataDir: join(root, `e${i}`), lines: [] });
    }
    const c = new EtcdCluster(members, root, `apiserver-${process.pid}-${Date.now()}`);
    for (const m of members) c.spawn(m);
    await Promise.all(members.map((m) => c.waitHealthy(m)));
    return c;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  private spawn(m: EtcdMember): void {
    const initialCluster = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const child = spawn(
      etcdBinary(),
      [
        `--name=${m.name}`,
        `--data-dir=${m.dataDir}`,
        `--listen-client-urls=${m.clientUrl}`,
        `--advertise-client-urls=${m.clientUrl}`,
        `--listen-peer-urls=${m.peerUrl}`,
        `--initial-advertise-peer-urls=${m.peerUrl}`,
        `--initial-cluster=${initialCluster}`,
        '--initial-cluster-state=new',
        `--initial-cluster-token=${this.token}`,
        '--auto-compaction-retention=0',
        '--logger=zap',
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (b: Buffer): void => {
      m.lines.push(...b.toString('utf8').split('\n').filter((l) => l !== ''));
      if (m.lines.length > 200) m.lines.splice(0, m.lines.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    m.child = child;
    m.exited = new Promise((resolve) => child.on('exit', () => resolve()));
  }

  private async waitHealthy(m: EtcdMember): Promise<void> {
    const deadline = Date.now() + READY_DEADLINE_MS;
    for (;;) {
      try {
        const res = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(2_000) });
        if (((await res.json()) as { health?: string }).health === 'true') return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`etcd ${m.name} not healthy after ${READY_DEADLINE_MS} ms:\n${m.lines.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The name of the current leader (asked through each member's JSON gateway). */
  async leader(): Promise<string> {
    const deadline = Date.now() + READY_DEADLINE_MS;
    for (;;) {
      for (const m of this.members) {
        if (m.child === undefined) continue;
        try {
          const res = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(2_000) });
          const s = (await res.json()) as { header?: { member_id?: string }; leader?: string };
          if (s.leader !== undefined && s.leader === s.header?.member_id) return m.name;
        } catch {
          // try the next member
        }
      }
      if (Date.now() > deadline) throw new Error('no etcd leader');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async kill(name: string): Promise<void> {
    const m = this.member(name);
    if (m.child === undefined) return;
    m.child.kill('SIGKILL');
    await m.exited;
    m.child = undefined;
  }

  async restart(name: string): Promise<void> {
    const m = this.member(name);
    if (m.child !== undefined) return;
    this.spawn(m);
    await this.waitHealthy(m);
  }

  /** Compacts history up to `revision` through the JSON gateway. */
  async compact(revision: number): Promise<void> {
    for (const m of this.members) {
      if (m.child === undefined) continue;
      const res = await fetch(`${m.clientUrl}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(revision), physical: true }), signal: AbortSignal.timeout(5_000) });
      if (res.ok) return;
    }
    throw new Error('no etcd member compacted');
  }

  private member(name: string): EtcdMember {
    const m = this.members.find((x) => x.name === name);
    if (m === undefined) throw new Error(`no etcd member ${name}`);
    return m;
  }

  async stop(): Promise<void> {
    for (const m of this.members) await this.kill(m.name);
    rmSync(this.root, { recursive: true, force: true });
  }
}
