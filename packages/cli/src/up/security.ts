// How the components talk to each other, in one place. The apiservers serve HTTPS with certificates
// made kubeadm's way (a cluster CA in `<data>/pki`, a serving certificate per apiserver for localhost and
// the loopback addresses), because kubectl sends a bearer token only over TLS (client-go sets it for TLS
// connections only). The KV store is still plain HTTP on loopback: the certificates for it exist
// (ensureKvClusterPki), the member and KvClient take them, but the apiserver has no KV client-certificate
// flags yet; kvMemberFlags/apiserverFlags are where that wiring goes, nothing else in `up` changes.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureCa, ensureLeaf, LOOPBACK_DNS_NAMES, LOOPBACK_IP_ADDRESSES, pairIn } from '../pki/index.ts';

export interface Security {
  /** What is encrypted: nothing, or the apiservers' port (kubectl, controllers, load balancer traffic). */
  readonly mode: 'plaintext' | 'apiserver-tls';
  readonly kvScheme: 'http' | 'https';
  readonly apiserverScheme: 'http' | 'https';
  /** PEM of the CA that signed the apiservers' certificates (for the kubeconfig and our own clients). */
  readonly apiserverCaPem?: string;
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
