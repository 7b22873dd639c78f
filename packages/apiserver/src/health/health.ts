// /livez, /readyz, /healthz in kube-apiserver's format: `ok`, or with ?verbose one `[+]check ok` /
// `[-]check failed: reason withheld` line per check and a final verdict; 503 when any check fails.
// readyz fails while the storage cannot serve a linearizable read (no member answers, or no quorum), before
// the default namespaces exist, and once shutdown has begun, so a load balancer stops sending traffic.

export interface HealthCheck {
  readonly name: string;
  run(): Promise<{ readonly ok: boolean; readonly message?: string }>;
}

export interface HealthResponse {
  readonly status: 200 | 404 | 503;
  readonly body: string;
}

/** Runs `checks` (all, or the one named by `only`) and renders the response. */
export async function runHealthChecks(endpoint: 'livez' | 'readyz' | 'healthz', checks: readonly HealthCheck[], verbose: boolean, only?: string): Promise<HealthResponse> {
  const selected = only === undefined ? checks : checks.filter((c) => c.name === only);
  if (selected.length === 0) return { status: 404, body: `no such check: ${only}\n` };
  const results = await Promise.all(
    selected.map(async (c) => {
      try {
        return { name: c.name, ...(await c.run()) };
      } catch (err) {
        return { name: c.name, ok: false, message: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0 && !verbose) return { status: 200, body: 'ok' };
  const lines = results.map((r) => (r.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: reason withheld`));
  if (failed.length === 0) return { status: 200, body: `${lines.join('\n')}\n${endpoint} check passed\n` };
  return { status: 503, body: `${lines.join('\n')}\n${endpoint} check failed\n` };
}
