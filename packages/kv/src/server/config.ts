// A member's configuration, validated once at startup. Flags come from the CLI (`halyard kv member`)
// or from code (tests, `cluster up`).

import { MEMBER_ID_MAX, clusterIdOf, memberIdOf } from './ids.ts';

/** PEM files for one port. With a CA, the other side must present a certificate it signed (mutual TLS). */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly trustedCaFile?: string;
}

export interface MemberConfig {
  readonly name: string;
  readonly dataDir: string;
  /** URL peers connect to (ws server for Raft traffic). */
  readonly peerUrl: string;
  /** URL clients connect to (ws client protocol + /health + /metrics). */
  readonly clientUrl: string;
  /** name → peer URL for every member of the initial cluster (including this one). */
  readonly initialCluster: ReadonlyMap<string, string>;
  readonly initialClusterState: 'new' | 'existing';
  readonly clusterToken: string;
  /**
   * This member's id when it joins an existing cluster under an id it cannot derive from its flags: the
   * one `member add` gave a member re-added with the name and peer URL of a removed one (ids are never
   * reused). Absent: hash(token, name, peer URL). Pass it on every start of such a member.
   */
  readonly memberId?: number;
  /** Real time per Raft tick. */
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Applied entries between two snapshots (etcd --snapshot-count). */
  readonly snapshotCount: number;
  /** Entries kept behind a snapshot so slightly slow followers catch up from the log, not a snapshot. */
  readonly catchUpEntries: number;
  readonly requestSizeBytesMax: number;
  /** How long a write may wait for its entry to apply before the client gets Timeout. */
  readonly requestTimeoutMs: number;
  /** 0 = off. Otherwise compact to (current revision − retention) every interval, like etcd's revision mode. */
  readonly autoCompactionRetentionRevisions: number;
  readonly autoCompactionIntervalMs: number;
  /**
   * Serve POST /debug/faults on the client port so a test harness can cut peer links (partitions) in a
   * running process. Off by default; never turn it on in production.
   */
  readonly unsafeFaultInjection: boolean;
  /** TLS on the peer port (https:// peer URLs); off when absent. */
  readonly peerTls?: TlsFiles;
  /** TLS on the client port (https:// client URL); off when absent. */
  readonly clientTls?: TlsFiles;
  /**
   * Planted bug for proving the checkers can fail: serve "linearizable" reads from local state without
   * ReadIndex. Only tests and `halyard fuzz cluster --planted-bug stale-reads` set it.
   */
  readonly unsafeBugStaleReads: boolean;
  /**
   * Where the MVCC state lives: 'leveldb' (default) keeps revisions in LevelDB under <data-dir>/mvcc with
   * only the key index in memory, and restarts from it; 'memory' keeps everything in memory and in Raft
   * snapshots (the simulator's way).
   */
  readonly mvccBackend?: MvccBackendKind;
}

export type MvccBackendKind = 'leveldb' | 'memory';

export const MEMBER_DEFAULTS = {
  initialClusterState: 'new',
  clusterToken: 'halyard-cluster',
  tickMs: 100,
  electionTicks: 10,
  heartbeatTicks: 1,
  snapshotCount: 10_000,
  catchUpEntries: 5_000,
  requestSizeBytesMax: 1.5 * 1024 * 1024,
  requestTimeoutMs: 7_000,
  autoCompactionRetentionRevisions: 0,
  autoCompactionIntervalMs: 5 * 60_000,
  unsafeFaultInjection: false,
  unsafeBugStaleReads: false,
} as const;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parse `a=http://127.0.0.1:2380,b=http://…` (etcd's --initial-cluster). */
export function parseInitialCluster(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--initial-cluster: "${part}" is not name=url`);
    const name = part.slice(0, eq);
    const url = part.slice(eq + 1);
    checkUrl(url, `--initial-cluster ${name}`);
    if (out.has(name)) throw new ConfigError(`--initial-cluster: member ${name} listed twice`);
    out.set(name, url);
  }
  if (out.size === 0) throw new ConfigError('--initial-cluster is empty');
  return out;
}

export function checkUrl(url: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`${what}: not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${what}: must be http:// or https://, got ${url}`);
  if (u.port === '') throw new ConfigError(`${what}: needs an explicit port: ${url}`);
  return u;
}

export function validateConfig(c: MemberConfig): void {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(c.name)) throw new ConfigError(`--name must be 1–64 characters of [A-Za-z0-9._-], got "${c.name}"`);
  checkUrl(c.peerUrl, '--listen-peer-url');
  checkUrl(c.clientUrl, '--listen-client-url');
  if (c.initialCluster.get(c.name) !== c.peerUrl) {
    throw new ConfigError(`--initial-cluster must list this member as ${c.name}=${c.peerUrl}`);
  }
  const positive: [string, number][] = [
    ['--tick-ms', c.tickMs],
    ['--election-ticks', c.electionTicks],
    ['--heartbeat-ticks', c.heartbeatTicks],
    ['--snapshot-count', c.snapshotCount],
    ['--request-timeout-ms', c.requestTimeoutMs],
    ['--max-request-bytes', c.requestSizeBytesMax],
  ];
  for (const [flag, v] of positive) if (!Number.isSafeInteger(v) || v <= 0) throw new ConfigError(`${flag} must be a positive integer, got ${v}`);
  if (c.electionTicks <= c.heartbeatTicks) throw new ConfigError('--election-ticks must exceed --heartbeat-ticks');
  if (c.memberId !== undefined) {
    if (!Number.isSafeInteger(c.memberId) || c.memberId <= 0 || c.memberId > MEMBER_ID_MAX) throw new ConfigError(`--member-id must be a member id (hex, at most 48 bits), got ${c.memberId}`);
    // Every initial member derives every initial member's id from the same flags; one override would split them.
    if (c.initialClusterState !== 'existing') throw new ConfigError('--member-id is only for joining: it needs --initial-cluster-state existing');
  }
  if (!Number.isSafeInteger(c.catchUpEntries) || c.catchUpEntries < 0) throw new ConfigError('--catch-up-entries must be ≥ 0');
  if (!Number.isSafeInteger(c.autoCompactionRetentionRevisions) || c.autoCompactionRetentionRevisions < 0) {
    throw new ConfigError('--auto-compaction-retention must be a non-negative integer (revisions to keep)');
  }
  if ((c.peerTls !== undefined) !== (new URL(c.peerUrl).protocol === 'https:')) {
    throw new ConfigError('--listen-peer-url must be https:// exactly when peer TLS files are given');
  }
  if ((c.clientTls !== undefined) !== (new URL(c.clientUrl).protocol === 'https:')) {
    throw new ConfigError('--listen-client-url must be https:// exactly when client TLS files are given');
  }
}

export interface ClusterIds {
  readonly memberId: number;
  readonly clusterId: number;
  /** id → { name, peerUrl } of the initial cluster. */
  readonly initialMembers: ReadonlyMap<number, { name: string; peerUrl: string }>;
}

export function clusterIds(c: MemberConfig): ClusterIds {
  const memberId = c.memberId ?? memberIdOf(c.name, [c.peerUrl], c.clusterToken);
  const initialMembers = new Map<number, { name: string; peerUrl: string }>();
  for (const [name, peerUrl] of c.initialCluster) initialMembers.set(name === c.name ? memberId : memberIdOf(name, [peerUrl], c.clusterToken), { name, peerUrl });
  return {
    memberId,
    clusterId: clusterIdOf(c.clusterToken),
    initialMembers,
  };
}
