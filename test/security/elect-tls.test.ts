// `halyard elect` against a member that requires client certificates (as `halyard kv cluster up` and `up`
// run them by default): with --cacert/--cert/--key it leads; the same flags come from HALYARD_* variables.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseInitialCluster, startMember, type RunningMember } from '@halyard/kv';
import { silentLogger } from '@halyard/kv/transport';
import { ensureKvClusterPki, ADMIN_CLIENT } from '../../packages/cli/src/pki/index.ts';
import { freePorts, waitFor } from '../../packages/kv/src/server/test-util.testutil.ts';

const BIN = resolve(fileURLToPath(new URL('../../packages/cli/bin/halyard.js', import.meta.url)));
const TIMING = ['--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '300ms'];

describe('halyard elect over mutual TLS', () => {
  let dir = '';
  let member: RunningMember | undefined;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await member?.stop();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('leads with the cluster CA and the admin client certificate, given as flags or as HALYARD_* variables', async () => {
    dir = await mkdtemp(join(tmpdir(), 'halyard-elect-tls-'));
    const pki = await ensureKvClusterPki(join(dir, 'pki'), ['m1']);
    const m1 = pki.members.get('m1')!;
    const admin = pki.clients.get(ADMIN_CLIENT)!;
    const [peerPort, clientPort] = await freePorts(2);
    const peerUrl = `https://127.0.0.1:${peerPort}`;
    const clientUrl = `https://127.0.0.1:${clientPort}`;
    member = await startMember(
      {
        name: 'm1', dataDir: join(dir, 'm1'), peerUrl, clientUrl, initialCluster: parseInitialCluster(`m1=${peerUrl}`),
        peerTls: { certFile: m1.peer.certFile, keyFile: m1.peer.keyFile, trustedCaFile: pki.caFile },
        clientTls: { certFile: m1.server.certFile, keyFile: m1.server.keyFile, trustedCaFile: pki.caFile },
      },
      silentLogger,
    );
    const run = (identity: string, args: readonly string[], env: NodeJS.ProcessEnv): { out: () => string; child: ChildProcess } => {
      let out = '';
      const child = spawn(process.execPath, [BIN, 'elect', 'tls-election', '--identity', identity, ...TIMING, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      children.push(child);
      return { out: () => out, child };
    };
    const withFlags = run('a', ['--endpoints', clientUrl, '--cacert', pki.caFile, '--cert', admin.certFile, '--key', admin.keyFile], {});
    await waitFor(() => /leading tls-election as a token \d+/.test(withFlags.out()), 60_000, `elect with flags to lead:\n${withFlags.out()}`);
    withFlags.child.kill('SIGINT');
    await waitFor(() => withFlags.child.exitCode !== null, 30_000, 'elect to exit on SIGINT');
    expect(withFlags.child.exitCode).toBe(0);

    const withEnv = run('b', [], { HALYARD_ENDPOINTS: clientUrl, HALYARD_CACERT: pki.caFile, HALYARD_CERT: admin.certFile, HALYARD_KEY: admin.keyFile });
    await waitFor(() => /leading tls-election as b token \d+/.test(withEnv.out()), 60_000, `elect with HALYARD_* to lead:\n${withEnv.out()}`);
    withEnv.child.kill('SIGINT');
    await waitFor(() => withEnv.child.exitCode !== null, 30_000, 'elect to exit on SIGINT');
  }, 180_000);
});
