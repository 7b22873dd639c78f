// The real kubectl (v1.32, /usr/bin/kubectl or on PATH) against two apiserver replicas over a real KV
// member, through kubeconfigs the apiserver writes: the commands docs/apiserver.md promises, plus 401/403
// with the token file. The replicas serve TLS with a throwaway self-signed certificate (openssl), because
// kubectl sends bearer tokens only over https. Skipped, with a message saying why, where kubectl is not
// installed.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokenFile } from '../../packages/apiserver/src/auth/token-file.ts';
import { writeKubeconfig } from '../../packages/apiserver/src/cli/kubeconfig.ts';
import { startApiserver, type RunningApiserver } from '../../packages/apiserver/src/server.ts';
import { HalyardStorage } from '../../packages/apiserver/src/storage/halyard-storage.ts';
import { quietLogger } from '../../packages/apiserver/src/testing/fake-kv.ts';
import { ClusterHarness, waitFor } from '../kv-cluster/harness.ts';

const run = promisify(execFile);

function findKubectl(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const kubectl = findKubectl();
if (kubectl === undefined) console.warn('kubectl.test.ts: SKIPPED — no kubectl on PATH (install kubectl v1.32 to run the kubectl compatibility test)');

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe.skipIf(kubectl === undefined)('the real kubectl', () => {
  let h: ClusterHarness;
  let a: RunningApiserver;
  let b: RunningApiserver;
  let dir: string;
  const kc = (n: string): string => join(dir, `${n}.kubeconfig`);

  async function k(config: string, ...args: string[]): Promise<Result> {
    try {
      const r = await run(kubectl!, args, { env: { ...process.env, KUBECONFIG: config, HOME: dir }, timeout: 60_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'halyard-kubectl-'));
    writeFileSync(join(dir, 'tokens.csv'), 'admin-token,admin,1\nviewer-token,viewer,2,"halyard:read-only,viewers"\n');
    const tokens = parseTokenFile('admin-token,admin,1\nviewer-token,viewer,2,"halyard:read-only,viewers"\n');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    const tls = { cert, key: readFileSync(join(dir, 'key.pem')) };
    h = await ClusterHarness.create({ size: 1 });
    await h.startAll();
    await h.waitForLeader(['m1']);
    const start = (): Promise<RunningApiserver> => startApiserver({ storage: new HalyardStorage({ endpoints: h.cluster.endpoints() }), port: 0, tokens, tls, logger: quietLogger, identityLeaseRenewMs: 1_000 });
    [a, b] = await Promise.all([start(), start()]);
    await Promise.all([a.bootstrapped, b.bootstrapped]);
    await writeKubeconfig(kc('a'), { server: a.url, token: 'admin-token', caPem: cert });
    await writeKubeconfig(kc('b'), { server: b.url, token: 'admin-token', caPem: cert });
    await writeKubeconfig(kc('viewer'), { server: a.url, token: 'viewer-token', caPem: cert });
    await writeKubeconfig(kc('bogus'), { server: a.url, token: 'bogus-token', caPem: cert });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('get ns, create configmap --from-literal, get cm -A through the other replica', async () => {
    const ns = await k(kc("a"), "get", "ns");

    expect(ns.code).toBe(0);
    expect(ns.stdout).toMatch(/^NAME\s+STATUS\s+AGE\n/);
    expect(ns.stdout).toMatch(/\ndefault\s+Active\s+\S+\n/);
    expect(ns.stdout).toMatch(/\nkube-system\s+Active\s+\S+\n/);
    const created = await k(kc('a'), 'create', 'configmap', 'kc1', '--from-literal=k=v', '--from-literal=k2=v2');
    expect(created).toMatchObject({ code: 0, stdout: 'configmap/kc1 created\n' });
    const all = await k(kc('b'), 'get', 'cm', '-A');
    expect(all.stdout).toMatch(/^NAMESPACE\s+NAME\s+DATA\s+AGE\n/);
    expect(all.stdout).toMatch(/\ndefault\s+kc1\s+2\s+\S+\n/);
    const missing = await k(kc('b'), 'get', 'cm', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): configmaps "nope" not found');
  });

  it('apply -f creates, then changes (client-side apply, strategic merge patch)', async () => {
    const file = join(dir, 'cm.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  labels:\n    app: demo\ndata:\n  one: "1"\n  two: "2"\n');
    expect(await k(kc('a'), 'apply', '-f', file)).toMatchObject({ code: 0, stdout: 'configmap/applied created\n' });
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  labels:\n    app: demo\ndata:\n  one: "uno"\n  three: "3"\n');
    expect(await k(kc('b'), 'apply', '-f', file)).toMatchObject({ code: 0, stdout: 'configmap/applied configured\n' });
    const data = await k(kc('a'), 'get', 'cm', 'applied', '-o', 'jsonpath={.data}');
    expect(JSON.parse(data.stdout)).toEqual({ one: 'uno', three: '3' });
    expect(await k(kc('a'), 'apply', '-f', file)).toMatchObject({ code: 0, stdout: 'configmap/applied unchanged\n' });
    const labelled = await k(kc('a'), 'get', 'cm', '-l', 'app=demo', '-o', 'name');
    expect(labelled.stdout).toBe('configmap/applied\n');
  });

  it('replace (PUT) succeeds with the current resourceVersion and conflicts with a stale one', async () => {
    const cur = JSON.parse((await k(kc('a'), 'get', 'cm', 'kc1', '-o', 'json')).stdout) as { data: Record<string, string> };
    cur.data['k'] = 'replaced';
    const file = join(dir, 'kc1.json');
    writeFileSync(file, JSON.stringify(cur));
    expect(await k(kc('a'), 'replace', '-f', file)).toMatchObject({ code: 0, stdout: 'configmap/kc1 replaced\n' });
    const stale = await k(kc('b'), 'replace', '-f', file);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('the object has been modified; please apply your changes to the latest version and try again');
    expect((await k(kc('b'), 'get', 'cm', 'kc1', '-o', 'jsonpath={.data.k}')).stdout).toBe('replaced');
  });

  it('delete', async () => {
    expect(await k(kc('b'), 'delete', 'cm', 'kc1')).toMatchObject({ code: 0, stdout: 'configmap "kc1" deleted\n' });
    expect((await k(kc('a'), 'get', 'cm', 'kc1')).code).toBe(1);
  });

  it('get leases -n kube-system -w sees a lease change', async () => {
    const file = join(dir, 'lease.yaml');
    writeFileSync(file, 'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: demo-lock\n  namespace: kube-system\nspec:\n  holderIdentity: first-holder\n  leaseDurationSeconds: 15\n');
    expect((await k(kc('a'), 'apply', '-f', file)).code).toBe(0);
    let out = '';
    const watcher: ChildProcess = spawn(kubectl!, ['get', 'leases', '-n', 'kube-system', '-w'], { env: { ...process.env, KUBECONFIG: kc('b'), HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    watcher.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    try {
      await waitFor('the initial listing', () => /demo-lock\s+first-holder/.test(out));
      const patched = await k(kc('a'), 'patch', 'lease', 'demo-lock', '-n', 'kube-system', '--type', 'merge', '-p', '{"spec":{"holderIdentity":"second-holder"}}');
      expect(patched.code).toBe(0);
      await waitFor('the change in the watch output', () => /demo-lock\s+second-holder/.test(out));
      // The identity leases renew every second: the watch shows them change too.
      await waitFor('an identity lease renewal', () => (out.match(/apiserver-[0-9a-f]{16}/g) ?? []).length > 2);
    } finally {
      watcher.kill('SIGKILL');
    }
    expect(out).toMatch(/^NAME\s+HOLDER\s+AGE\n/);
  });

  it('get --raw /readyz, api-resources, 401 without a token, 403 for a read-only user', async () => {
    expect((await k(kc('a'), 'get', '--raw', '/readyz')).stdout).toBe('ok');
    const resources = await k(kc('a'), 'api-resources');
    expect(resources.stdout).toMatch(/\nleases\s+coordination.k8s.io\/v1\s+true\s+Lease\n/);
    const anon = await k(kc('bogus'), 'get', 'ns');
    expect(anon.code).toBe(1);
    expect(anon.stderr).toContain('You must be logged in to the server');
    const view = await k(kc('viewer'), 'get', 'cm', 'applied');
    expect(view.code).toBe(0);
    const denied = await k(kc('viewer'), 'delete', 'cm', 'applied');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('Error from server (Forbidden): configmaps "applied" is forbidden: User "viewer" cannot delete resource "configmaps" in API group "" in the namespace "default"');
  });

  it('works over plain http without authentication (development mode)', async () => {
    const plain = await startApiserver({ storage: new HalyardStorage({ endpoints: h.cluster.endpoints() }), port: 0, logger: quietLogger });
    try {
      expect(plain.url).toMatch(/^http:\/\//);
      await writeKubeconfig(kc('plain'), { server: plain.url });
      expect(await k(kc('plain'), 'get', 'ns', 'default', '-o', 'name')).toMatchObject({ code: 0, stdout: 'namespace/default\n' });
    } finally {
      await plain.close();
    }
  });
});
