// ElectionMetrics on prom-client, for services that already export Prometheus metrics. The host passes its
// own prom-client module and registry, so this package has no dependency on prom-client (it is an optional
// peer): `promElectionMetrics(await import('prom-client'), { registry })`.
import type { ElectionMetrics } from './metrics.ts';

type Labels = Record<string, string>;

interface MetricConfig {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  // prom-client's Registry; kept opaque so that its types are not needed to compile this package.
  readonly registers: never[];
}

/** The part of prom-client this uses (its Gauge, Counter and Histogram constructors). */
export interface PromClientLike {
  readonly Gauge: new (config: MetricConfig) => { set(labels: Labels, value: number): void };
  readonly Counter: new (config: MetricConfig) => { inc(labels: Labels, value?: number): void };
  readonly Histogram: new (config: MetricConfig & { readonly buckets: number[] }) => { observe(labels: Labels, value: number): void };
}

export interface PromElectionMetricsOptions {
  /** The prom-client Registry to register on (e.g. prom-client's `register`). */
  readonly registry: object;
  /** Metric name prefix; default `halyard_election_`. */
  readonly prefix?: string;
}

/** Renewals take a round trip to the store: milliseconds normally, seconds when it struggles. */
const RENEW_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * `<prefix>is_leader{name}` (1 while this instance leads, as client-go's leader_election_master_status),
 * `<prefix>holder_changes_total{name}` (changes of holder this instance observed) and
 * `<prefix>renew_duration_seconds{name,outcome}` (each renewal attempt).
 */
export function promElectionMetrics(prom: PromClientLike, options: PromElectionMetricsOptions): ElectionMetrics {
  const prefix = options.prefix ?? 'halyard_election_';
  const registers = [options.registry] as unknown as never[];
  const isLeader = new prom.Gauge({ name: `${prefix}is_leader`, help: 'Whether this instance leads the election (1) or not (0).', labelNames: ['name'], registers });
  const changes = new prom.Counter({ name: `${prefix}holder_changes_total`, help: 'Changes of the lease holder this instance observed.', labelNames: ['name'], registers });
  const renew = new prom.Histogram({ name: `${prefix}renew_duration_seconds`, help: 'Duration of lease renewal attempts.', labelNames: ['name', 'outcome'], registers, buckets: [...RENEW_BUCKETS_SECONDS] });
  return {
    leading: (name, leading) => isLeader.set({ name }, leading ? 1 : 0),
    holderChanged: (name) => changes.inc({ name }),
    renewed: (name, seconds, outcome) => renew.observe({ name, outcome }, seconds),
  };
}
