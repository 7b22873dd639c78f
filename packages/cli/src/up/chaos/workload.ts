// The clients of a chaos run: writers that create ConfigMaps through the load balancer, as fast as the
// cluster answers, each with a name of its own and a value to check later. A 2xx is an acknowledged
// write (it must survive); an error with no answer, a timeout or a 5xx leaves the outcome unknown (it may
// or may not have applied) — only acknowledged writes count as lost when missing.
import { type ConfigMap, KubeApiError, type KubeClient, paths } from '../kube/kube-client.ts';

export const CHAOS_NAMESPACE = 'default';
export const CHAOS_RUN_LABEL = 'halyard.dev/chaos-run';
/** Pause after a failed request, so a writer does not spin while no apiserver answers. */
export const WRITER_BACKOFF_MS = 100;

export interface WriteRecord {
  readonly name: string;
  readonly value: string;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly outcome: 'ok' | 'failed' | 'unknown';
  readonly error?: string;
}

export interface WorkloadOptions {
  readonly kube: KubeClient;
  readonly runId: string;
  readonly writers: number;
}

export class Workload {
  readonly records: WriteRecord[] = [];
  private readonly ac = new AbortController();
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly o: WorkloadOptions) {}

  start(): void {
    for (let w = 0; w < this.o.writers; w++) this.loops.push(this.writer(w));
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await Promise.all(this.loops);
  }

  private async writer(w: number): Promise<void> {
    const { kube, runId } = this.o;
    for (let n = 0; !this.ac.signal.aborted; n++) {
      const name = `chaos-${runId}-${w}-${n}`;
      const value = `${w}:${n}:${Math.random().toString(36).slice(2, 10)}`;
      const startedAtMs = Date.now();
      try {
        await kube.create<ConfigMap>(paths.configMaps(CHAOS_NAMESPACE), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: CHAOS_NAMESPACE, labels: { [CHAOS_RUN_LABEL]: runId } }, data: { value } });
        this.records.push({ name, value, startedAtMs, endedAtMs: Date.now(), outcome: 'ok' });
      } catch (e) {
        // A 4xx other than a timeout is a definite refusal (nothing applied); everything else is unknown.
        const definite = e instanceof KubeApiError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429;
        this.records.push({ name, value, startedAtMs, endedAtMs: Date.now(), outcome: definite ? 'failed' : 'unknown', error: e instanceof Error ? e.message : String(e) });
        if (!this.ac.signal.aborted) await new Promise((r) => setTimeout(r, WRITER_BACKOFF_MS));
      }
    }
  }
}

/** Availability as clients saw it: the share of requests answered with success, and the longest stretch without one. */
export interface Availability {
  readonly requests: number;
  readonly acknowledged: number;
  readonly unknown: number;
  readonly failed: number;
  readonly successRatio: number;
  readonly longestOutageMs: number;
}

export function availability(records: readonly WriteRecord[], fromMs: number, toMs: number): Availability {
  const ok = records.filter((r) => r.outcome === 'ok').map((r) => r.endedAtMs).sort((a, b) => a - b);
  let longest = 0;
  let prev = fromMs;
  for (const t of [...ok, toMs]) {
    longest = Math.max(longest, t - prev);
    prev = Math.max(prev, t);
  }
  const acknowledged = ok.length;
  return {
    requests: records.length,
    acknowledged,
    unknown: records.filter((r) => r.outcome === 'unknown').length,
    failed: records.filter((r) => r.outcome === 'failed').length,
    successRatio: records.length === 0 ? 0 : acknowledged / records.length,
    longestOutageMs: longest,
  };
}
