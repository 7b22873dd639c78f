// A cluster with TLS on both ports: peers authenticate each other with certificates from the cluster CA
// (mutual TLS), and clients reach the client port over wss:// with a certificate of their own.
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { KvClient, bytesToString } from '@halyard/kv-client';
import { runCli } from '../../packages/cli/src/cli/kv-cli.testutil.ts';
import { decodeFrame, encodeFrame, type ServerFrame } from '@halyard/kv-client/protocol';
import { silentLogger } from '@halyard/kv/transport';
import { hasOpenssl, makeCa, makeLeaf } from '../../packages/kv/src/util/test-pki.testutil.ts';
import { ConfigError, type RunningMember, startMember } from '@halyard/kv/server';
import { freePorts, waitFor } from '../../packages/kv/src/server/test-util.testutil.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe.skipIf(!hasOpenssl())('members over TLS', () => {
  const running: RunningMember[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('elects over mutual TLS and serves a client over wss with a client certificate', async () => {
    const pkiDir = await mkdtemp(join(tmpdir(), 'halyard-pki-'));
    dirs.push(pkiDir);
    const ca = makeCa(pkiDir, 'cluster');
    const member = makeLeaf(pkiDir, 'member', ca);
    const client = makeLeaf(pkiDir, 'client', ca);
    const files = { certFile: member.cert, keyFile: member.key, trustedCaFile: ca.cert };
    const ports = await freePorts(6);
    const initialCluster = new Map([0, 1, 2].map((i) => [`m${i + 1}`, `https://127.0.0.1:${ports[2 * i]}`]));
    for (let i = 0; i < 3; i++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'halyard-tls-'));
      dirs.push(dataDir);
      running.push(
        await startMember(
          { name: `m${i + 1}`, dataDir, peerUrl: initialCluster.get(`m${i + 1}`)!, clientUrl: `https://127.0.0.1:${ports[2 * i + 1]}`, initialCluster, tickMs: 20, peerTls: files, clientTls: files },
          silentLogger,
        ),
      );
    }
    await waitFor(() => running.some((r) => r.member.isLeader()), 30_000, 'a leader over TLS');
    const leader = running.find((r) => r.member.isLeader())!;
    const ws = new WebSocket(leader.member.config.clientUrl.replace('https', 'wss'), {
      ca: readFileSync(ca.cert),
      cert: readFileSync(client.cert),
      key: readFileSync(client.key),
    });
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    const reply = new Promise<ServerFrame>((res) => ws.once('message', (d) => res(decodeFrame(d as Uint8Array) as ServerFrame)));
    ws.send(encodeFrame({ id: 1, method: 'put', params: { key: enc('k'), value: enc('v') } }));
    expect((await reply).type).toBe('response');
    ws.close();

    // The client library and the CLI over TLS: CA and client certificate from files.
    const kv = new KvClient({ endpoints: running.map((r) => r.member.config.clientUrl), tls: { ca: readFileSync(ca.cert), cert: readFileSync(client.cert), key: readFileSync(client.key) } });
    try {
      await kv.put('via-client', 'ok');
      expect(bytesToString((await kv.get('via-client')).kvs[0]!.value)).toBe('ok');
    } finally {
      await kv.close();
    }
    const health = await runCli(['--endpoints', leader.member.config.clientUrl, '--cacert', ca.cert, '--cert', client.cert, '--key', client.key, 'endpoint', 'health']);
    expect(health.stderr).toBe('');
    expect(health.stdout).toContain('is healthy');
    expect(health.code).toBe(0);

    // Without a client certificate the TLS handshake is refused.
    const anonymous = new WebSocket(leader.member.config.clientUrl.replace('https', 'wss'), { ca: readFileSync(ca.cert) });
    const refused = await new Promise<boolean>((res) => {
      anonymous.once('open', () => res(false));
      anonymous.once('error', () => res(true));
      anonymous.once('close', () => res(true));
    });
    expect(refused).toBe(true);
  });

  it('refuses an https URL without certificate files, naming the flag', async () => {
    const [p1, p2] = await freePorts(2);
    const dataDir = await mkdtemp(join(tmpdir(), 'halyard-tls-'));
    dirs.push(dataDir);
    const peerUrl = `https://127.0.0.1:${p1}`;
    await expect(
      startMember({ name: 'x', dataDir, peerUrl, clientUrl: `http://127.0.0.1:${p2}`, initialCluster: new Map([['x', peerUrl]]) }, silentLogger),
    ).rejects.toThrow(ConfigError);
  });
});
