// `halyard elect --lock lease` against this apiserver (issue 10): two candidates over the apiserver's
// coordination.k8s.io/v1 Lease, one leads; when it is interrupted (releasing the lease) the other leads, and
// the Lease object through the API names the new holder.

import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { HalyardStorage, startApiserver, type RunningApiserver } from '@halyard/apiserver';
import { RealMembers } from '../kv-client/testing/real-members.ts';
import { waitFor } from '../../packages/kv/src/server/test-util.testutil.ts';

const BIN = resolve(fileURLToPath(new URL('../../packages/cli/bin/halyard.js', import.meta.url)));
const TIMING = ['--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '300ms'];

describe('halyard elect --lock lease over the Halyard apiserver', () => {
  let members: RealMembers | undefined;
  let api: RunningApiserver | undefined;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await api?.close();
    await members?.close();
  });

  it('one candidate leads through the Lease; after it releases, the other does', async () => {
    members = await RealMembers.start(1);
    api = await startApiserver({ storage: new HalyardStorage({ endpoints: members.urls }), port: 0, bindAddress: '127.0.0.1' });
    await api.bootstrapped;
    const run = (identity: string): { out: () => string; child: ChildProcess } => {
      let out = '';
      const child = spawn(process.execPath, [BIN, 'elect', 'lease-election', '--lock', 'lease', '--server', api!.url, '--namespace', 'kube-system', '--identity', identity, ...TIMING], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      children.push(child);
      return { out: () => out, child };
    };
    const a = run('a');
    await waitFor(() => /leading lease-election as a token \d+/.test(a.out()), 60_000, `a to lead:\n${a.out()}`);
    const b = run('b');
    await waitFor(() => /new leader: a/.test(b.out()), 60_000, `b to see a lead:\n${b.out()}`);
    expect(b.out()).not.toMatch(/leading lease-election as b/);
    const holder = async (): Promise<string | undefined> => {
      const res = await fetch(`${api!.url}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/lease-election`);
      return ((await res.json()) as { spec?: { holderIdentity?: string } }).spec?.holderIdentity;
    };
    expect(await holder()).toBe('a');
    a.child.kill('SIGINT');
    await waitFor(() => /leading lease-election as b token \d+/.test(b.out()), 60_000, `b to lead after a released:\n${b.out()}`);
    expect(await holder()).toBe('b');
    b.child.kill('SIGINT');
    await waitFor(() => a.child.exitCode !== null && b.child.exitCode !== null, 30_000, 'both candidates to exit');
  }, 180_000);
});
