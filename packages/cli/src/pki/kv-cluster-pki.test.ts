import { readFile, stat, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureKvClusterPki, ADMIN_CLIENT } from './kv-cluster-pki.ts';
import { createCa, issueLeaf } from './x509.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'halyard-pki-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Outcome of a TLS handshake against a server that requires a client certificate signed by `ca`. */
async function handshake(server: { cert: string; key: string; ca: string }, client: { ca: string; cert?: string; key?: string; servername?: string }): Promise<'ok' | string> {
  const srv = createServer({ ...server, requestCert: true, rejectUnauthorized: true }, (s) => s.end('hi'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve) => {
      const s: TLSSocket = connect({ host: '127.0.0.1', port, ...client });
      s.once('data', () => { s.destroy(); resolve('ok'); });
      s.once('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
      s.once('close', () => resolve('closed'));
    });
  } finally {
    srv.close();
  }
}

describe('local KV cluster certificates (kubeadm-style)', () => {
  it('a member server certificate and the admin client certificate complete mutual TLS on 127.0.0.1 and localhost', async () => {
    const pki = await ensureKvClusterPki(await tempDir(), ['m1', 'm2']);
    const m1 = pki.members.get('m1')!;
    const admin = pki.clients.get(ADMIN_CLIENT)!;
    const server = { cert: await readFile(m1.server.certFile, 'utf8'), key: await readFile(m1.server.keyFile, 'utf8'), ca: await readFile(pki.caFile, 'utf8') };
    const client = { ca: server.ca, cert: await readFile(admin.certFile, 'utf8'), key: await readFile(admin.keyFile, 'utf8') };
    expect(await handshake(server, client)).toBe('ok');
    expect(await handshake(server, { ...client, servername: 'localhost' })).toBe('ok');
    // Hostname checking is on: a name the certificate lacks is refused.
    expect(await handshake(server, { ...client, servername: 'example.com' })).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    // Peers authenticate each other with their peer certificates (server and client usage).
    const m2 = pki.members.get('m2')!;
    const peerServer = { cert: await readFile(m1.peer.certFile, 'utf8'), key: await readFile(m1.peer.keyFile, 'utf8'), ca: server.ca };
    expect(await handshake(peerServer, { ca: server.ca, cert: await readFile(m2.peer.certFile, 'utf8'), key: await readFile(m2.peer.keyFile, 'utf8') })).toBe('ok');
  });

  it('refuses a client without a certificate, and one whose certificate another CA signed', async () => {
    const pki = await ensureKvClusterPki(await tempDir(), ['m1']);
    const m1 = pki.members.get('m1')!;
    const ca = await readFile(pki.caFile, 'utf8');
    const server = { cert: await readFile(m1.server.certFile, 'utf8'), key: await readFile(m1.server.keyFile, 'utf8'), ca };
    expect(await handshake(server, { ca })).not.toBe('ok');
    const otherCa = await createCa('intruder', 1);
    const intruder = await issueLeaf(otherCa, { commonName: 'intruder', usage: 'client', validityDays: 1 });
    expect(await handshake(server, { ca, cert: intruder.certPem, key: intruder.keyPem })).not.toBe('ok');
    // A client that does not trust the cluster CA refuses the server (no silent trust).
    expect(await handshake(server, { ca: otherCa.pem.certPem })).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/);
  });

  it('writes keys 0600, reuses every file on the next start, and re-issues only a leaf that no longer fits', async () => {
    const dir = await tempDir();
    const first = await ensureKvClusterPki(dir, ['m1']);
    expect(first.issued.length).toBe(4); // CA, peer, server, admin client
    const m1 = first.members.get('m1')!;
    expect((await stat(m1.peer.keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(first.caFile.replace(/\.crt$/, '.key'))).mode & 0o777).toBe(0o600);
    const before = await readFile(m1.server.certFile, 'utf8');
    const again = await ensureKvClusterPki(dir, ['m1']);
    expect(again.issued).toEqual([]);
    expect(await readFile(m1.server.certFile, 'utf8')).toBe(before);
    // A server certificate signed by another CA (say, copied from another cluster) is replaced.
    const other = await issueLeaf(await createCa('other', 1), { commonName: 'm1', usage: 'server', validityDays: 1 });
    await writeFile(m1.server.certFile, other.certPem);
    const third = await ensureKvClusterPki(dir, ['m1']);
    expect(third.issued).toEqual([m1.server.certFile]);
    // A new member added later gets its certificates from the same CA.
    const fourth = await ensureKvClusterPki(dir, ['m1', 'm2']);
    expect(fourth.issued.length).toBe(2);
    expect(fourth.caFile).toBe(first.caFile);
  });

  it('refuses names that are not path-safe', async () => {
    await expect(ensureKvClusterPki(await tempDir(), ['../evil'])).rejects.toThrow(/not path-safe/);
  });
});
