// Prometheus metrics (prom-client) with kube-apiserver's names where one exists: request counts and
// latencies by verb, resource and code, and the number of open watches. One registry per server, so two
// servers in one process (tests) do not share counters.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class ApiserverMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'apiserver_request_total', help: 'Requests by verb, resource and HTTP code.', labelNames: ['verb', 'resource', 'code'], registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'Response latency by verb and resource (watches: until the stream is set up).',
    labelNames: ['verb', 'resource'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly watchers = new Gauge({ name: 'apiserver_registered_watchers', help: 'Open watch streams by resource.', labelNames: ['resource'], registers: [this.registry] });
  readonly storageReady = new Gauge({ name: 'apiserver_storage_ready', help: '1 when the last storage health check succeeded.', registers: [this.registry] });

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
