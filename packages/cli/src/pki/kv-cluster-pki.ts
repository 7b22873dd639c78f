// The certificates of a local KV cluster, laid out as kubeadm lays out etcd's (`pki/etcd/…`): one CA, per
// member a peer certificate (peer mutual TLS) and a server certificate (the client port), and client
// certificates for whoever talks to the members (the CLI, API servers, controllers).

import { join } from 'node:path';
import { type CertFiles, ensureCa, ensureLeaf, pairIn } from './store.ts';

/** Names every local certificate is valid for: members listen on loopback. */
export const LOOPBACK_DNS_NAMES: readonly string[] = ['localhost'];
export const LOOPBACK_IP_ADDRESSES: readonly string[] = ['127.0.0.1', '::1'];

/** The client certificate the `halyard` CLI uses against a local cluster. */
export const ADMIN_CLIENT = 'halyard-admin';

export interface KvClusterPki {
  readonly caFile: string;
  readonly members: ReadonlyMap<string, { readonly peer: CertFiles; readonly server: CertFiles }>;
  readonly clients: ReadonlyMap<string, CertFiles>;
  /** Certificates written by this call (first start, or re-issued ones), for the start-up message. */
  readonly issued: readonly string[];
}

/**
 * Ensure `<pkiDir>/kv/` holds a CA and the certificates of `members` and `clients`; reuse what is there.
 * Member and client names must be path-safe (the cluster's member names are validated at startup).
 */
export async function ensureKvClusterPki(pkiDir: string, members: readonly string[], clients: readonly string[] = [ADMIN_CLIENT]): Promise<KvClusterPki> {
  for (const n of [...members, ...clients]) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n)) throw new Error(`certificate name ${JSON.stringify(n)} is not path-safe`);
  }
  const dir = join(pkiDir, 'kv');
  const caFiles = pairIn(dir, 'ca');
  const { ca, created } = await ensureCa(caFiles, 'halyard-kv-ca');
  const issued: string[] = created ? [caFiles.certFile] : [];
  const names = { dnsNames: LOOPBACK_DNS_NAMES, ipAddresses: LOOPBACK_IP_ADDRESSES };
  const memberFiles = new Map<string, { peer: CertFiles; server: CertFiles }>();
  for (const m of members) {
    const peer = await ensureLeaf(ca, pairIn(join(dir, m), 'peer'), { commonName: m, usage: 'peer', dnsNames: [m, ...names.dnsNames], ipAddresses: names.ipAddresses });
    const server = await ensureLeaf(ca, pairIn(join(dir, m), 'server'), { commonName: m, usage: 'server', dnsNames: [m, ...names.dnsNames], ipAddresses: names.ipAddresses });
    for (const r of [peer, server]) if (r.issued) issued.push(r.files.certFile);
    memberFiles.set(m, { peer: peer.files, server: server.files });
  }
  const clientFiles = new Map<string, CertFiles>();
  for (const c of clients) {
    const r = await ensureLeaf(ca, pairIn(join(dir, 'clients'), c), { commonName: c, usage: 'client' });
    if (r.issued) issued.push(r.files.certFile);
    clientFiles.set(c, r.files);
  }
  return { caFile: caFiles.certFile, members: memberFiles, clients: clientFiles, issued };
}
