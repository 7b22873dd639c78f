// Mutual TLS between peers, with a throwaway CA made by the openssl CLI (skipped if it is missing).

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../storage/test-helpers.ts';
import type { TransportTlsOptions } from './options.ts';
import { TestNet, heartbeat, waitFor } from './test-cluster.ts';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Pki {
  readonly member: TransportTlsOptions;
  /** Signed by an unrelated CA: must be refused by members of the first. */
  readonly stranger: TransportTlsOptions;
}

function makeCa(dir: string, name: string): { key: string; cert: string } {
  const key = join(dir, `${name}-ca.key`);
  const cert = join(dir, `${name}-ca.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${name} test CA`], { stdio: 'ignore' });
  return { key, cert };
}

function makeLeaf(dir: string, name: string, ca: { key: string; cert: string }): TransportTlsOptions {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  // One certificate serves as both server and client identity: peers dial each other.
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert), ca: readFileSync(ca.cert) };
}

describe.skipIf(!hasOpenssl())('PeerTransport over mutual TLS', () => {
  let pki: Pki;
  let cleanup: () => Promise<void>;
  let net: TestNet;

  beforeAll(async () => {
    const t = await tempDir('tls');
    cleanup = t.cleanup;
    const ca = makeCa(t.dir, 'cluster');
    const other = makeCa(t.dir, 'other');
    pki = { member: makeLeaf(t.dir, 'member', ca), stranger: makeLeaf(t.dir, 'stranger', other) };
  });
  afterAll(async () => cleanup());
  afterEach(async () => net.closeAll());

  it('members with certificates from the cluster CA talk over wss://', async () => {
    net = new TestNet();
    const a = await net.add(1, { tls: pki.member });
    const b = await net.add(2, { tls: pki.member });
    expect(a.transport.url.startsWith('wss://127.0.0.1:')).toBe(true);
    net.connectAll();
    a.transport.send(heartbeat(1, 2, 1));
    b.transport.send(heartbeat(2, 1, 2));
    await waitFor('both delivered', () => a.received.length === 1 && b.received.length === 1);
  });

  it('a peer whose certificate another CA signed is refused at the TLS layer', async () => {
    net = new TestNet();
    const a = await net.add(1, { tls: pki.member });
    // The stranger trusts the cluster CA (so it would accept a's server cert) but presents its own.
    const s = await net.add(3, { tls: { ...pki.stranger, ca: pki.member.ca } });
    s.transport.setPeer(1, a.transport.url);
    s.transport.send(heartbeat(3, 1, 1));
    await waitFor('refused', () => (s.transport.peerStatus(1)?.failedAttempts ?? 0) >= 2);
    expect(s.transport.peerStatus(1)?.connected).toBe(false);
    expect(a.received.length).toBe(0);
    await waitFor('logged', () => a.logs.some((l) => l.message === 'TLS handshake refused'));
  });

  it('a plain ws:// dialer cannot reach a TLS listener', async () => {
    net = new TestNet();
    const a = await net.add(1, { tls: pki.member });
    const p = await net.add(4);
    p.transport.setPeer(1, a.transport.url.replace('wss://', 'ws://'));
    p.transport.send(heartbeat(4, 1, 1));
    await waitFor('failed', () => (p.transport.peerStatus(1)?.failedAttempts ?? 0) >= 2);
    expect(a.received.length).toBe(0);
  });
});
