// How the components talk to each other, in one place, made kubeadm's way. The apiservers serve HTTPS
// (a cluster CA in `<data>/pki`, a serving certificate per apiserver for localhost and the loopback
// addresses), because kubectl sends a bearer token only over TLS (client-go sets it for TLS connections
// only). The KV store has its own CA (`<data>/pki/kv`, as kubeadm's etcd CA): members authenticate each
// other (peer mTLS) and every client (client-port mTLS); the apiservers present `apiserver-kv-client`,
// `up` itself and the CLI `halyard-admin`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ADMIN_CLIENT, ensureCa, ensureKvClusterPki, ensureLeaf, LOOPBACK_DNS_NAMES, LOOPBACK_IP_ADDRESSES, pairIn } from '../pki/index.ts';

/** The client certificate the apiservers present to the KV members (kubeadm: apiserver-etcd-client). */
export const APISERVER_KV_CLIENT = 'apiserver-kv-client';

/** Files of the KV CA and of the admin client certificate: for `halyard kv` and the env file. */
export interface KvAdminFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface Security {
  /** What is encrypted: nothing, or the apiservers' port (kubectl, controllers, load balancer traffic). */
  readonly mode: 'plaintext' | 'apiserver-tls' | 'tls';
  readonly kvScheme: 'http' | 'https';
  readonly apiserverScheme: 'http' | 'https';
  /** PEM of the CA that signed the apiservers' certificates (for the kubeconfig and our own clients). */
  readonly apiserverCaPem?: string;
  /** What `up` and its dashboard present to the KV members (PEM), when they require it. */
  readonly kvClientTls?: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer };
  /** The files behind kvClientTls, for the printed `halyard kv` command and `<data>/halyard.env`. */
  readonly kvAdminFiles?: KvAdminFiles;
  /** Extra flags for `halyard kv member` (certificates) by member id. */
  kvMemberFlags(id: string): string[];
  /** Extra flags for the apiserver (serving certificate, KV client certificate) by apiserver id. */
  apiserverFlags(id: string): string[];
  /** Extra flags for a controller replica (CA of the apiservers). */
  controllerFlags(id: string): string[];
  /**
   * Extra environment of a controller replica: NODE_EXTRA_CA_CERTS, so the election SDK's lock (on
   * Node's global fetch) trusts the cluster CA too.
   */
  controllerEnv(): Record<string, string>;
}

export const PLAINTEXT: Security = {
  mode: 'plaintext',
  kvScheme: 'http',
  apiserverScheme: 'http',
  kvMemberFlags: () => [],
  apiserverFlags: () => [],
  controllerFlags: () => [],
  controllerEnv: () => ({}),
};

/**
 * Ensures `<pkiDir>/ca.*`, `<pkiDir>/apiserver/<id>.*` and the KV PKI under `<pkiDir>/kv` (reused when
 * they still fit) and wires them: HTTPS for the apiservers, mutual TLS on every KV port.
 */
export async function clusterTls(pkiDir: string, apiserverIds: readonly string[], kvMemberIds: readonly string[]): Promise<Security> {
  const front = await apiserverTls(pkiDir, apiserverIds);
  const kv = await ensureKvClusterPki(pkiDir, kvMemberIds, [ADMIN_CLIENT, APISERVER_KV_CLIENT]);
  const admin = kv.clients.get(ADMIN_CLIENT) as KvAdminFiles;
  const apiserverClient = kv.clients.get(APISERVER_KV_CLIENT) as KvAdminFiles;
  const kvAdminFiles: KvAdminFiles = { caFile: kv.caFile, certFile: admin.certFile, keyFile: admin.keyFile };
  return {
    ...front,
    mode: 'tls',
    kvScheme: 'https',
    kvClientTls: { ca: await readFile(kv.caFile), cert: await readFile(admin.certFile), key: await readFile(admin.keyFile) },
    kvAdminFiles,
    kvMemberFlags: (id) => {
      const f = kv.members.get(id);
      if (f === undefined) return [];
      return [
        '--cert-file', f.server.certFile, '--key-file', f.server.keyFile, '--trusted-ca-file', kv.caFile,
        '--peer-cert-file', f.peer.certFile, '--peer-key-file', f.peer.keyFile, '--peer-trusted-ca-file', kv.caFile,
      ];
    },
    apiserverFlags: (id) => [...front.apiserverFlags(id), '--kv-cacert', kv.caFile, '--kv-cert', apiserverClient.certFile, '--kv-key', apiserverClient.keyFile],
  };
}

/** Ensures `<pkiDir>/ca.*` and `<pkiDir>/apiserver/<id>.*` (reused when they still fit) and wires them. */
export async function apiserverTls(pkiDir: string, apiserverIds: readonly string[]): Promise<Security> {
  const caFiles = pairIn(pkiDir, 'ca');
  const { ca } = await ensureCa(caFiles, 'halyard-ca');
  const serving = new Map<string, { certFile: string; keyFile: string }>();
  for (const id of apiserverIds) {
    const r = await ensureLeaf(ca, pairIn(join(pkiDir, 'apiserver'), id), { commonName: id, usage: 'server', dnsNames: [...LOOPBACK_DNS_NAMES], ipAddresses: [...LOOPBACK_IP_ADDRESSES] });
    serving.set(id, r.files);
  }
  const caPem = await readFile(caFiles.certFile, 'utf8');
  return {
    mode: 'apiserver-tls',
    kvScheme: 'http',
    apiserverScheme: 'https',
    apiserverCaPem: caPem,
    kvMemberFlags: () => [],
    apiserverFlags: (id) => {
      const f = serving.get(id);
      return f === undefined ? [] : ['--tls-cert-file', f.certFile, '--tls-private-key-file', f.keyFile];
    },
    controllerFlags: () => ['--ca-file', caFiles.certFile],
    controllerEnv: () => ({ NODE_EXTRA_CA_CERTS: caFiles.certFile }),
  };
}
