// Both load balancer paths against stand-in apiservers: traffic goes only to backends whose /readyz
// answers 200, leaves one that starts failing, and comes back when it recovers. The HAProxy path runs when
// the binary is installed (scripts/system-deps.sh installs it for CI).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findHaproxy, renderHaproxyConfig } from '../../packages/cli/src/up/lb/haproxy.ts';
import { BackendHealth, type HealthCheckOptions } from '../../packages/cli/src/up/lb/health-check.ts';
import { type LoadBalancer, type LoadBalancerKind, startLoadBalancer } from '../../packages/cli/src/up/lb/index.ts';
import { Supervisor } from '../../packages/cli/src/up/process/supervisor.ts';
import { pickFreePorts } from '../../packages/cli/src/up/ports.ts';
import { FakeBackend, getVia, waitFor } from './fake-backend.testutil.ts';

const FAST_CHECKS: HealthCheckOptions = { intervalMs: 200, timeoutMs: 1_000, rise: 2, fall: 2, path: '/readyz' };
const HAPROXY = findHaproxy();

describe('BackendHealth (rise/fall)', () => {
  it('starts down, goes up after `rise` good probes, down after `fall` bad ones in a row', () => {
    const h = new BackendHealth(2, 3);
    expect(h.up).toBe(false);
    expect(h.record(true)).toBe(false);
    expect(h.record(true)).toBe(true);
    expect(h.up).toBe(true);
    h.record(false);
    h.record(false);
    h.record(true); // a good probe resets the count of bad ones
    h.record(false);
    h.record(false);
    expect(h.up).toBe(true);
    expect(h.record(false)).toBe(true);
    expect(h.up).toBe(false);
  });
});

describe('HAProxy configuration', () => {
  it('checks /readyz on every apiserver in tcp mode', async () => {
    const cfg = renderHaproxyConfig({ host: '127.0.0.1', port: 6443, backends: [{ name: 'apiserver-1', host: '127.0.0.1', port: 7001 }, { name: 'apiserver-2', host: '127.0.0.1', port: 7002 }], healthCheck: FAST_CHECKS, backendTls: false, maxConnections: 100 });
    expect(cfg).toContain('mode tcp');
    expect(cfg).toContain('http-check send meth GET uri /readyz');
    expect(cfg).toMatch(/server apiserver-1 127\.0\.0\.1:7001 check\n/);
    expect(cfg).toMatch(/server apiserver-2 127\.0\.0\.1:7002 check\n/);
    if (HAPROXY === undefined) return;
    // HAProxy itself accepts it.
    const dir = await mkdtemp(join(tmpdir(), 'halyard-haproxy-cfg-'));
    try {
      await writeFile(join(dir, 'haproxy.cfg'), cfg);
      await promisify(execFile)(HAPROXY, ['-c', '-f', join(dir, 'haproxy.cfg')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const kinds: LoadBalancerKind[] = HAPROXY !== undefined ? ['builtin', 'haproxy'] : ['builtin'];

describe.each(kinds)('load balancer (%s)', (kind) => {
  let dir = '';
  let a: FakeBackend;
  let b: FakeBackend;
  let supervisor: Supervisor;
  let lb: LoadBalancer | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `halyard-lb-${kind}-`));
    a = new FakeBackend('a');
    b = new FakeBackend('b');
    await a.listen();
    await b.listen();
    supervisor = new Supervisor({ logDir: join(dir, 'logs') });
  });

  afterEach(async () => {
    await lb?.close();
    await supervisor.stopAll();
    await a.close();
    await b.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends traffic only to backends whose /readyz answers 200', async () => {
    const [port] = await pickFreePorts(1);
    const warnings: string[] = [];
    lb = await startLoadBalancer({
      choice: kind,
      host: '127.0.0.1',
      port: port!,
      backends: [{ name: 'a', host: '127.0.0.1', port: a.port }, { name: 'b', host: '127.0.0.1', port: b.port }],
      backendTls: false,
      dataDir: dir,
      supervisor,
      healthCheck: FAST_CHECKS,
      warn: (m) => warnings.push(m),
    });
    expect(lb.kind).toBe(kind);
    const seen = async (n: number): Promise<Set<string>> => {
      const s = new Set<string>();
      for (let i = 0; i < n; i++) {
        const body = await getVia(lb!.port);
        if (body !== undefined) s.add(body);
      }
      return s;
    };
    // Both healthy: round robin reaches both.
    await waitFor('both backends receive traffic', async () => (await seen(6)).size === 2, 60_000);
    // a fails its readiness: after `fall` checks, only b.
    a.ready = false;
    await waitFor('only b receives traffic', async () => {
      const s = await seen(6);
      return s.size === 1 && s.has('b');
    }, 60_000);
    // a recovers.
    a.ready = true;
    await waitFor('a receives traffic again', async () => (await seen(6)).has('a'), 60_000);
    // b's process is gone: every request still succeeds, on a.
    await b.close();
    await waitFor('all requests answered by a', async () => {
      const bodies = await Promise.all(Array.from({ length: 6 }, () => getVia(lb!.port)));
      return bodies.every((x) => x === 'a');
    }, 60_000);
  });
});
