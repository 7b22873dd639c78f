// Prometheus metrics of a member (prom-client), in the member's own registry so several members can
// run in one process (tests) without clashing. Names follow etcd's where one exists.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface MemberMetricsSource {
  status(): { term: number; commit: number; applied: number; lastIndex: number };
  sm: { mvcc: { revision: number; compactRevision: number } };
  watchHub: { count(): number };
}

export interface MemberMetrics {
  readonly fsyncSeconds: Histogram;
  readonly appliedEntries: Counter;
  readonly isLeader: Gauge;
  readonly leaderChanges: Counter;
  readonly snapshots: Counter;
  readonly snapshotsInstalled: Counter;
  readonly clientRequests: Counter<'method' | 'code'>;
}

export function createMemberMetrics(registry: Registry, src: MemberMetricsSource): MemberMetrics {
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  gauge('halyard_server_raft_term', 'Current Raft term.', () => src.status().term);
  gauge('halyard_server_raft_commit_index', 'Raft commit index.', () => src.status().commit);
  gauge('halyard_server_raft_applied_index', 'Raft applied index.', () => src.status().applied);
  gauge('halyard_server_raft_last_index', 'Last index of the local Raft log.', () => src.status().lastIndex);
  gauge('halyard_mvcc_revision', 'Current MVCC revision.', () => src.sm.mvcc.revision);
  gauge('halyard_mvcc_compact_revision', 'Last compacted MVCC revision.', () => src.sm.mvcc.compactRevision);
  gauge('halyard_watchers', 'Watchers on this member.', () => src.watchHub.count());
  return {
    fsyncSeconds: new Histogram({
      name: 'halyard_disk_wal_fsync_duration_seconds',
      help: 'Latency of persisting one Ready (one synced LevelDB batch).',
      buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024],
      registers: [registry],
    }),
    appliedEntries: new Counter({ name: 'halyard_server_applied_entries_total', help: 'Entries applied to the state machine.', registers: [registry] }),
    isLeader: new Gauge({ name: 'halyard_server_is_leader', help: '1 if this member is the leader.', registers: [registry] }),
    leaderChanges: new Counter({ name: 'halyard_server_leader_changes_seen_total', help: 'Leader changes seen.', registers: [registry] }),
    snapshots: new Counter({ name: 'halyard_server_snapshots_total', help: 'Snapshots taken.', registers: [registry] }),
    snapshotsInstalled: new Counter({ name: 'halyard_server_snapshots_installed_total', help: 'Snapshots received from a leader and installed.', registers: [registry] }),
    clientRequests: new Counter({ name: 'halyard_client_requests_total', help: 'Client requests by method and result code.', labelNames: ['method', 'code'], registers: [registry] }),
  };
}
