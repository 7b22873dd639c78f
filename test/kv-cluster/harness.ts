// Shared scaffolding of the real-process tests: a LocalCluster on a free loopback port range with its own
// data directory and cluster token, status polling that waits on conditions (never on guessed sleeps),
// and concurrent writers that record which writes were acknowledged. Every wait has a deadline.

import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvClient, bytesToString, type KvClientOptions, type StatusResult } from '@halyard/kv-client';
import { LocalCluster, type LocalMemberSpec } from '@halyard/cli/cluster';
import { memberIdOf } from '@halyard/kv/server';

/** Real time per Raft tick: small so elections take about a second, as the brief asks. */
export const TICK_MS = 50;
/**
 * Election timeout in ticks (1–2 s at TICK_MS). Longer than the default 10 because members share two
 * loaded cores with vitest and each other: an event loop stalled for half a second must not depose a
 * healthy leader every few writes.
 */
export const ELECTION_TICKS = 20;
/** How long a condition on the cluster (a leader, a catch-up) may take before the test fails. */
export const CONDITION_TIMEOUT_MS = 30_000;
/** Poll interval of waitFor: short against the 1–2 s election timeout. */
const POLL_MS = 50;

/** Ports a cluster may use: client and peer port of each member, members numbered 0..MEMBERS_MAX-1. */
export const MEMBERS_MAX = 5;
export const PORT_STRIDE = 2;
/** Below Linux's ephemeral range (32768+), so outgoing connections never hold one of our ports. */
const PORT_RANGE_LOW = 12_000;
const PORT_RANGE_HIGH = 32_000;
const PORT_PROBES_MAX = 200;

/** Poll `cond` until it holds; fail naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, cond: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = CONDITION_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      const why = lastErr === undefined ? '' : ` (last error: ${lastErr instanceof Error ? lastErr.message : String(lastErr)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function listen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/**
 * A base port such that [base, base + count) are all free on 127.0.0.1 right now. LocalCluster numbers
 * ports from one base, so a contiguous free range is what it needs; the range is random so concurrent
 * runs rarely even probe the same ports.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let probe = 0; probe < PORT_PROBES_MAX; probe++) {
    const base = randomInt(PORT_RANGE_LOW, PORT_RANGE_HIGH - count);
    const servers: Server[] = [];
    let ok = true;
    for (let p = base; p < base + count; p++) {
      const s = await listen(p);
      if (s === undefined) {
        ok = false;
        break;
      }
      servers.push(s);
    }
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (ok) return base;
  }
  throw new Error(`no ${count} contiguous free ports in ${PORT_RANGE_LOW}..${PORT_RANGE_HIGH} after ${PORT_PROBES_MAX} probes`);
}

export interface HarnessOptions {
  readonly size: number;
  readonly snapshotCount?: number;
  /** Extra flags for every member (e.g. --unsafe-fault-injection). */
  readonly extraArgs?: readonly string[];
}

/** One test's cluster: processes, data directory and clients, all released by `close()`. */
export class ClusterHarness {
  private readonly clients: KvClient[] = [];
  /** Each member's output, kept past its exit (LocalCluster forgets it then): for a failing test's message. */
  private readonly outputs = new Map<string, readonly string[]>();
  /** Pinned calls (status, per-member reads) go through this client's `endpoint` option. */
  readonly admin: KvClient;

  private constructor(
    readonly cluster: LocalCluster,
    readonly dataDir: string,
    readonly clusterToken: string,
    /** First of this harness's free ports; member slot i uses portBase + i·PORT_STRIDE (+1 for peers). */
    readonly portBase: number,
  ) {
    this.admin = this.client();
  }

  /** Start every member (see LocalCluster.startAll), keeping their output. */
  async startAll(): Promise<void> {
    try {
      await this.cluster.startAll();
    } finally {
      for (const m of this.cluster.members) if (this.cluster.isRunning(m.name)) this.outputs.set(m.name, this.cluster.logs(m.name));
    }
  }

  /** Start (or restart) one member (see LocalCluster.start), keeping its output. */
  async start(name: string, state: 'new' | 'existing' = 'new', initialCluster = this.cluster.initialCluster()): Promise<void> {
    try {
      await this.cluster.start(name, state, initialCluster);
    } finally {
      if (this.cluster.isRunning(name)) this.outputs.set(name, this.cluster.logs(name));
    }
  }

  /**
   * kill -9 `name` if its process is still running. A member removed from the cluster exits by itself
   * (as etcd's does) when it applies its own removal, which it may or may not have received.
   */
  async killIfRunning(name: string): Promise<void> {
    if (this.cluster.isRunning(name)) await this.cluster.kill(name);
  }

  static async create(o: HarnessOptions): Promise<ClusterHarness> {
    const dataDir = await mkdtemp(join(tmpdir(), 'halyard-kv-cluster-'));
    const base = await freePortRange(MEMBERS_MAX * PORT_STRIDE);
    // A token of our own: a member left over from another run can never join this cluster.
    const clusterToken = `kvc-${randomBytes(4).toString('hex')}`;
    const cluster = new LocalCluster({
      size: o.size,
      dataDir,
      clientPortBase: base,
      portStride: PORT_STRIDE,
      tickMs: TICK_MS,
      electionTicks: ELECTION_TICKS,
      clusterToken,
      stdio: 'pipe',
      ...(o.snapshotCount !== undefined ? { snapshotCount: o.snapshotCount } : {}),
      ...(o.extraArgs !== undefined ? { extraArgs: o.extraArgs } : {}),
    });
    return new ClusterHarness(cluster, dataDir, clusterToken, base);
  }

  /** A client over `endpoints` (default: every member), closed with the harness. */
  client(endpoints: readonly string[] = this.cluster.endpoints(), options: Partial<KvClientOptions> = {}): KvClient {
    const c = new KvClient({ endpoints, requestTimeoutMs: 15_000, ...options });
    this.clients.push(c);
    return c;
  }

  spec(name: string): LocalMemberSpec {
    const m = this.cluster.members.find((x) => x.name === name);
    if (m === undefined) throw new Error(`no member ${name}`);
    return m;
  }

  url(name: string): string {
    return this.spec(name).clientUrl;
  }

  idOf(name: string): number {
    const m = this.spec(name);
    return memberIdOf(m.name, [m.peerUrl], this.clusterToken);
  }

  nameOf(id: number): string | undefined {
    return this.cluster.members.find((m) => this.idOf(m.name) === id)?.name;
  }

  status(name: string, timeoutMs = 2_000): Promise<StatusResult> {
    return this.admin.status(this.url(name), { timeoutMs });
  }

  /**
   * Wait until `among` agree on one leader: the leader's own status says it leads, and a majority of
   * `among` report the same leader in the same term. Returns the leader's name and term.
   */
  async waitForLeader(among: readonly string[], what = 'a leader', timeoutMs = CONDITION_TIMEOUT_MS): Promise<{ name: string; id: number; term: number }> {
    return waitFor(
      `${what} among ${among.join(',')}`,
      async () => {
        const statuses = await Promise.all(among.map((n) => this.status(n, 1_000).catch(() => undefined)));
        for (const s of statuses) {
          if (s === undefined || s.leader === 0 || s.leader !== s.header.memberId) continue;
          const agree = statuses.filter((x) => x !== undefined && x.leader === s.leader && x.raftTerm === s.raftTerm).length;
          if (agree * 2 > among.length) {
            const name = this.nameOf(s.leader);
            if (name === undefined) throw new Error(`leader ${s.leader.toString(16)} is not a known member`);
            return { name, id: s.leader, term: s.raftTerm };
          }
        }
        return undefined;
      },
      timeoutMs,
    );
  }

  /** Wait until `name` has applied at least `index`. */
  async waitApplied(name: string, index: number, timeoutMs = CONDITION_TIMEOUT_MS): Promise<StatusResult> {
    return waitFor(`${name} to apply index ${index}`, async () => {
      const s = await this.status(name, 1_000);
      return s.raftAppliedIndex >= index ? s : undefined;
    }, timeoutMs);
  }

  /** A counter or gauge from `name`'s /metrics, summed over series whose labels include `labels`. */
  async metric(name: string, metric: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
    const res = await fetch(`${this.url(name)}/metrics`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) throw new Error(`GET /metrics on ${name}: ${res.status}`);
    const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    let sum = 0;
    for (const line of (await res.text()).split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
      if (m === null || m[1] !== metric) continue;
      if (want.every((w) => (m[2] ?? '').includes(w))) sum += Number(m[3]);
    }
    return sum;
  }

  /** Last lines of every running member's output, for a failing test's message. */
  logsTail(lines = 30): string {
    return this.cluster.members
      .map((m) => `--- ${m.name} (${this.cluster.isRunning(m.name) ? 'running' : 'stopped'})\n${(this.outputs.get(m.name) ?? []).slice(-lines).join('\n')}`)
      .join('\n');
  }

  /** Stop every process this harness started, close its clients, delete its data. */
  async close(printLogs = false): Promise<void> {
    if (printLogs) console.error(this.logsTail());
    await Promise.all(this.clients.map((c) => c.close().catch(() => undefined)));
    await this.cluster.stopAll();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** What one writer learned about one write. */
export interface WriteRecord {
  readonly key: string;
  readonly value: string;
  /** The revision the acknowledgement carried; undefined when the outcome is unknown (error, timeout). */
  readonly revision?: number;
}

export interface Writers {
  readonly acked: WriteRecord[];
  readonly unknown: WriteRecord[];
  /** Acknowledgements so far (all writers). */
  ackedCount(): number;
  /** Stop issuing writes; resolves once every writer's last write has finished. */
  stop(): Promise<void>;
}

/** A bound on writes per writer, so a test that never reaches its condition cannot write forever. */
export const WRITES_PER_WRITER_MAX = 5_000;

/**
 * `count` concurrent writers, each putting unique keys `${prefix}/w${i}/${seq}` sequentially with a
 * unique value, recording every acknowledged write with its revision (and every failed one as unknown).
 */
export function startWriters(client: KvClient, prefix: string, count: number): Writers {
  const acked: WriteRecord[] = [];
  const unknown: WriteRecord[] = [];
  let stopping = false;
  const loops = Array.from({ length: count }, async (_, w) => {
    for (let seq = 0; seq < WRITES_PER_WRITER_MAX && !stopping; seq++) {
      const key = `${prefix}/w${w}/${String(seq).padStart(5, '0')}`;
      const value = `v-${w}-${seq}-${randomBytes(3).toString('hex')}`;
      try {
        const r = await client.put(key, value);
        acked.push({ key, value, revision: r.header.revision });
      } catch {
        // Timeout or no leader within the deadline: the write may or may not have applied.
        unknown.push({ key, value });
      }
    }
  });
  return {
    acked,
    unknown,
    ackedCount: () => acked.length,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/** Every key under `prefix` as key → { value, modRevision }, read linearizably through `client`. */
export async function readPrefix(client: KvClient, prefix: string): Promise<Map<string, { value: string; modRevision: number }>> {
  const r = await client.get(`${prefix}/`, { prefix: true });
  if (r.more) throw new Error(`range under ${prefix} was truncated`);
  return new Map(r.kvs.map((kv) => [bytesToString(kv.key), { value: bytesToString(kv.value), modRevision: kv.modRevision }]));
}

/**
 * Check acknowledged writes against a read-back: every one is present with its value and its
 * acknowledged revision; each writer's revisions increase (its writes were sequential, so a
 * linearizable store orders them); no two acknowledged writes share a revision.
 */
export function checkAcked(acked: readonly WriteRecord[], got: ReadonlyMap<string, { value: string; modRevision: number }>): string[] {
  const problems: string[] = [];
  for (const w of acked) {
    const g = got.get(w.key);
    if (g === undefined) problems.push(`acknowledged ${w.key}=${w.value}@${w.revision} is missing`);
    else if (g.value !== w.value || g.modRevision !== w.revision) problems.push(`acknowledged ${w.key}=${w.value}@${w.revision} reads back as ${g.value}@${g.modRevision}`);
  }
  const byWriter = new Map<string, WriteRecord[]>();
  for (const w of acked) {
    const writer = w.key.slice(0, w.key.lastIndexOf('/'));
    byWriter.set(writer, [...(byWriter.get(writer) ?? []), w]);
  }
  for (const [writer, ws] of byWriter) {
    const sorted = [...ws].sort((a, b) => (a.key < b.key ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.revision! <= sorted[i - 1]!.revision!) problems.push(`${writer}: ${sorted[i]!.key}@${sorted[i]!.revision} not after ${sorted[i - 1]!.key}@${sorted[i - 1]!.revision}`);
    }
  }
  const seen = new Map<number, string>();
  for (const w of acked) {
    const other = seen.get(w.revision!);
    if (other !== undefined) problems.push(`${w.key} and ${other} were both acknowledged at revision ${w.revision}`);
    seen.set(w.revision!, w.key);
  }
  return problems;
}

/** One sequential writer of 1, 2, 3, … through `put` (one key), remembering the latest acknowledged value and revision. */
export class CounterWriter {
  lastAcked = 0;
  lastAckedRevision = 0;
  lastSent = 0;
  acks = 0;
  private stopping = false;
  private readonly loop: Promise<void>;

  constructor(put: (value: string) => Promise<{ header: { revision: number } }>) {
    this.loop = (async () => {
      // Bounded: a test that never reaches its condition stops here.
      for (let i = 1; i <= 10_000 && !this.stopping; i++) {
        this.lastSent = i;
        try {
          const r = await put(String(i));
          this.lastAcked = i;
          this.lastAckedRevision = r.header.revision;
          this.acks++;
        } catch {
          // Outcome unknown; a read may see i or not, and later values supersede it.
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }
}
