// A TLS refusal is a configuration mistake, not an outage: the client must say so at once (TlsError,
// naming the reason) instead of retrying until its deadline and calling a write's outcome unknown.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvClient, KvError } from '@halyard/kv-client';
import { silentLogger } from '@halyard/kv/transport';
import { type RunningMember, startMember } from '@halyard/kv/server';
import { freePorts, waitFor } from '../../packages/kv/src/server/test-util.testutil.ts';
import { ADMIN_CLIENT, createCa, ensureKvClusterPki, issueLeaf } from '../../packages/cli/src/pki/index.ts';
import { runCli } from '../../packages/cli/src/cli/kv-cli.testutil.ts';

/** Far above what a refused handshake takes on loopback, far below what a retry loop would spend. */
const REQUEST_TIMEOUT_MS = 20_000;

describe('TLS failures fail fast', () => {
  let member: RunningMember;
  let plain: RunningMember;
  const dirs: string[] = [];
  let tls: { ca: Buffer; cert: Buffer; key: Buffer };
  let files: { ca: string; cert: string; key: string };
  let httpsUrl = '';
  let httpUrl = '';

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'halyard-sec-'));
    dirs.push(dir);
    const pki = await ensureKvClusterPki(join(dir, 'pki'), ['m1']);
    const m = pki.members.get('m1')!;
    const admin = pki.clients.get(ADMIN_CLIENT)!;
    files = { ca: pki.caFile, cert: admin.certFile, key: admin.keyFile };
    tls = { ca: await readFile(pki.caFile), cert: await readFile(admin.certFile), key: await readFile(admin.keyFile) };
    const [p1, p2, p3, p4] = await freePorts(4);
    const peerUrl = `https://127.0.0.1:${p1}`;
    httpsUrl = `https://127.0.0.1:${p2}`;
    member = await startMember(
      {
        name: 'm1', dataDir: join(dir, 'm1'), peerUrl, clientUrl: httpsUrl, initialCluster: new Map([['m1', peerUrl]]), tickMs: 20,
        peerTls: { certFile: m.peer.certFile, keyFile: m.peer.keyFile, trustedCaFile: pki.caFile },
        clientTls: { certFile: m.server.certFile, keyFile: m.server.keyFile, trustedCaFile: pki.caFile },
      },
      silentLogger,
    );
    httpUrl = `http://127.0.0.1:${p4}`;
    const plainPeer = `http://127.0.0.1:${p3}`;
    plain = await startMember({ name: 'p1', dataDir: join(dir, 'p1'), peerUrl: plainPeer, clientUrl: httpUrl, initialCluster: new Map([['p1', plainPeer]]), tickMs: 20 }, silentLogger);
    await waitFor(() => member.member.isLeader() && plain.member.isLeader(), 30_000, 'both single members lead');
  }, 60_000);

  afterAll(async () => {
    await Promise.all([member?.stop(), plain?.stop()]);
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  /** The error of one put through a fresh client, and how long it took. */
  async function putError(endpoint: string, clientTls?: { ca?: Buffer; cert?: Buffer; key?: Buffer }): Promise<{ err: unknown; elapsedMs: number }> {
    const kv = new KvClient({ endpoints: [endpoint], requestTimeoutMs: REQUEST_TIMEOUT_MS, ...(clientTls !== undefined ? { tls: clientTls } : {}) });
    const t0 = performance.now();
    try {
      await kv.put('k', 'v');
      return { err: undefined, elapsedMs: performance.now() - t0 };
    } catch (err) {
      return { err, elapsedMs: performance.now() - t0 };
    } finally {
      await kv.close();
    }
  }

  function expectTlsError(r: { err: unknown; elapsedMs: number }, reason: RegExp): void {
    expect(r.err).toBeInstanceOf(KvError);
    expect(`${(r.err as KvError).code}: ${(r.err as KvError).message}`).toMatch(/^TlsError/);
    expect((r.err as KvError).message).toMatch(reason);
    expect((r.err as KvError).message).not.toMatch(/outcome is unknown/);
    expect(r.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS / 2);
  }

  it('the admin certificate works (the refusals below are about the missing piece only)', async () => {
    expect((await putError(httpsUrl, tls)).err).toBeUndefined();
  });

  it('a client without a certificate is refused at once: certificate required', async () => {
    expectTlsError(await putError(httpsUrl, { ca: tls.ca }), /requires a client certificate|handshake failed/);
  });

  it('a client that does not trust the CA is refused at once: unknown CA', async () => {
    expectTlsError(await putError(httpsUrl, { cert: tls.cert, key: tls.key }), /not signed by a trusted CA/);
  });

  it('a client certificate from another CA is refused at once', async () => {
    const other = await issueLeaf(await createCa('intruder', 1), { commonName: 'intruder', usage: 'client', validityDays: 1 });
    expectTlsError(await putError(httpsUrl, { ca: tls.ca, cert: Buffer.from(other.certPem), key: Buffer.from(other.keyPem) }), /refused the client certificate|handshake failed/);
  });

  it('a host name the certificate does not name is refused at once', async () => {
    // A server whose certificate names only example.com, reached as 127.0.0.1.
    const ca = await createCa('elsewhere', 1);
    const leaf = await issueLeaf(ca, { commonName: 'example.com', usage: 'server', dnsNames: ['example.com'], validityDays: 1 });
    const server = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      expectTlsError(await putError(`https://127.0.0.1:${port}`, { ca: Buffer.from(ca.pem.certPem) }), /not valid for this host name/);
    } finally {
      server.close();
    }
  });

  it('http:// to a TLS port and https:// to a plain port are refused at once', async () => {
    expectTlsError(await putError(httpsUrl.replace('https', 'http'), tls), /speaks TLS; use https/);
    expectTlsError(await putError(httpUrl.replace('http', 'https'), tls), /does not speak TLS/);
  });

  it('the CLI prints the refusal once and exits 1', async () => {
    const r = await runCli(['--endpoints', httpsUrl, '--cacert', files.ca, 'put', 'k', 'v']);
    expect(r.code).toBe(1);
    expect(r.stderr.match(/TLS to /g)?.length).toBe(1);
    expect(r.stderr).toMatch(/requires a client certificate|handshake failed/);
  });
});
