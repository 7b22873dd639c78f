// Certificates for local clusters, generated on first start as kubeadm does.
export { ensureKvClusterPki, ADMIN_CLIENT, LOOPBACK_DNS_NAMES, LOOPBACK_IP_ADDRESSES, type KvClusterPki } from './kv-cluster-pki.ts';
export { ensureCa, ensureLeaf, pairIn, CA_VALIDITY_DAYS, LEAF_VALIDITY_DAYS, LEAF_RENEW_BEFORE_DAYS, type CertFiles } from './store.ts';
export { createCa, issueLeaf, type Ca, type CertUsage, type KeyPairPem, type LeafSpec } from './x509.ts';
