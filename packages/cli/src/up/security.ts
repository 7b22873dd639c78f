// How the components talk to each other, in one place: today plain HTTP on loopback. TLS is designed in
// but not wired yet: the certificates exist (packages/cli/src/pki: ensureKvClusterPki makes kubeadm-style
// CA, peer, server and client certificates), the KV member and client take them (--cert-file,
// --peer-cert-file, KvClient's `tls`), the apiserver serves HTTPS (--tls-cert-file); what is missing is
// the apiserver's client certificate towards the KV store and the controllers' CA for the apiserver. A
// TLS Security will fill these same fields, so nothing else in `up` changes.

export interface Security {
  /** 'plaintext' until the TLS wiring lands. */
  readonly mode: 'plaintext' | 'tls';
  readonly kvScheme: 'http' | 'https';
  readonly apiserverScheme: 'http' | 'https';
  /** Extra flags for `halyard kv member` (certificates) by member id. */
  kvMemberFlags(id: string): string[];
  /** Extra flags for the apiserver (serving certificate, KV client certificate) by apiserver id. */
  apiserverFlags(id: string): string[];
  /** Extra flags for a controller replica (CA of the apiservers). */
  controllerFlags(id: string): string[];
}

export const PLAINTEXT: Security = {
  mode: 'plaintext',
  kvScheme: 'http',
  apiserverScheme: 'http',
  kvMemberFlags: () => [],
  apiserverFlags: () => [],
  controllerFlags: () => [],
};
