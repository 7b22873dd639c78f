// The `halyard apiserver` command as a process: exit codes for bad usage, and a real start over the KV's
// fake cluster that writes a kubeconfig, serves, and shuts down cleanly on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeCluster } from '../../../../test/kv-client/testing/fake-cluster.ts';
import { apiRequest } from '../testing/api-client.ts';

const MAIN = new URL('./main.ts', import.meta.url).pathname;
const TSX = ['--import', 'tsx', MAIN];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'halyard-apiserver-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('halyard apiserver', () => {
  it.each([
    [['--port', 'abc'], 2, /--port must be an integer/],
    [['--bogus'], 2, /unknown option '--bogus'/],
    [['--storage', 'etcd'], 2, /--storage etcd needs --etcd-servers/],
    [['--tls-cert-file', '/nonexistent', '--port', '0'], 2, /go together/],
  ])('%j exits %i', (args, code, message) => {
    const r = spawnSync(process.execPath, [...TSX, ...args], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it('a malformed token file stops start-up with exit 1', () => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, 'only-a-token\n');
    const r = spawnSync(process.execPath, [...TSX, '--token-auth-file', f, '--port', '0'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('line 1: expected token,user,uid[,groups]');
  });

  it('serves, writes a kubeconfig with the token, and exits 0 on SIGTERM', async () => {
    const cluster = await FakeCluster.start(1);
    const tokens = join(dir, 'tokens.csv');
    writeFileSync(tokens, 'ro-token,reader,1,"halyard:read-only"\nrw-token,writer,2\n');
    const kubeconfig = join(dir, 'kc.json');
    const child = spawn(process.execPath, [...TSX, '--port', '0', '--kv-endpoints', cluster.endpoints.join(','), '--token-auth-file', tokens, '--write-kubeconfig', kubeconfig], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    try {
      const deadline = Date.now() + 60_000;
      while (!existsSync(kubeconfig) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const kc = JSON.parse(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[] };
      // The kubeconfig carries the first read-write user's token.
      expect(kc.users[0]!.user.token).toBe('rw-token');
      const server = kc.clusters[0]!.cluster.server;
      expect((await apiRequest(server, 'GET', '/api/v1/namespaces')).status).toBe(401);
      const ns = await apiRequest(server, 'GET', '/api/v1/namespaces', { token: 'rw-token' });
      expect(ns.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await cluster.close();
    }
    expect(stderr).toContain('shutting down');
  });
});
