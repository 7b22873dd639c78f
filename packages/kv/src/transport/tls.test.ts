// Mutual TLS between peers, with a throwaway CA made by the openssl CLI (skipped if it is missing).

import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../storage/test-helpers.ts';
import { type PemPaths, hasOpenssl, makeCa, makeLeaf } from '../util/test-pki.testutil.ts';
import type { TransportTlsOptions } from './options.ts';
import { TestNet, heartbeat, waitFor } from './test-cluster.ts';

interface Pki {
  readonly member: TransportTlsOptions;
  /** Signed by an unrelated CA: must be refused by members of the first. */
  readonly stranger: TransportTlsOptions;
}

function leafOptions(dir: string, name: string, ca: PemPaths): TransportTlsOptions {
  const leaf = makeLeaf(dir, name, ca);
  return { key: readFileSync(leaf.key), cert: readFileSync(leaf.cert), ca: readFileSync(ca.cert) };
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
    pki = { member: leafOptions(t.dir, 'member', ca), stranger: leafOptions(t.dir, 'stranger', other) };
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
