// Certificates through @peculiar/x509 over Node's WebCrypto: no hand-written ASN.1. ECDSA P-256 keys, as
// kubeadm offers (`--encryption-algorithm ECDSA-P256`): fast to generate on a loaded machine and accepted
// by Node's TLS, Go's and kubectl.

import 'reflect-metadata';
import type { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(globalThis.crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const MS_PER_DAY = 86_400_000;
/** Certificates are valid from a little before now, so a peer whose clock lags slightly accepts them. */
const NOT_BEFORE_SKEW_MS = 5 * 60_000;

export interface KeyPairPem {
  readonly certPem: string;
  readonly keyPem: string;
}

/** What a leaf certificate is for: the extended key usages TLS checks. */
export type CertUsage = 'server' | 'client' | 'peer';

export interface LeafSpec {
  /** Subject common name (for client certificates, the user name the server sees). */
  readonly commonName: string;
  /** Subject organisation (for client certificates, the group — kubeadm puts admins in system:masters). */
  readonly organization?: string;
  readonly usage: CertUsage;
  /** DNS names and IP addresses the certificate is valid for (server and peer certificates). */
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly validityDays: number;
}

export interface Ca {
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
  readonly pem: KeyPairPem;
}

function randomSerial(): string {
  // Positive 128-bit serial (RFC 5280 §4.1.2.2: up to 20 octets, unique per CA; random makes reuse unlikely).
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] as number) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await globalThis.crypto.subtle.exportKey('pkcs8', key));
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

function distinguishedName(commonName: string, organization?: string): string {
  const esc = (v: string): string => v.replace(/([,+"\\<>;=])/g, '\\$1');
  return organization === undefined ? `CN=${esc(commonName)}` : `CN=${esc(commonName)}, O=${esc(organization)}`;
}

/** A new self-signed CA (basic constraints CA:true, may sign certificates and CRLs). */
export async function createCa(commonName: string, validityDays: number): Promise<Ca> {
  const keys = await globalThis.crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: distinguishedName(commonName),
    notBefore: new Date(now - NOT_BEFORE_SKEW_MS),
    notAfter: new Date(now + validityDays * MS_PER_DAY),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, pem: { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) } };
}

/** Load a CA written by `createCa` (certificate and PKCS#8 key, PEM). */
export async function loadCa(pem: KeyPairPem): Promise<Ca> {
  const cert = new x509.X509Certificate(pem.certPem);
  const der = Buffer.from(pem.keyPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const privateKey = await globalThis.crypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign']);
  const publicKey = await cert.publicKey.export(ALGORITHM, ['verify']);
  return { cert, keys: { privateKey, publicKey }, pem };
}

const EXTENDED_USAGES: Record<CertUsage, readonly x509.ExtendedKeyUsage[]> = {
  server: [x509.ExtendedKeyUsage.serverAuth],
  client: [x509.ExtendedKeyUsage.clientAuth],
  // A peer both accepts connections and makes them, so it authenticates in both roles (as etcd's peer certs).
  peer: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
};

/** A leaf certificate signed by `ca`, with a fresh key. */
export async function issueLeaf(ca: Ca, spec: LeafSpec): Promise<KeyPairPem> {
  const keys = await globalThis.crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const names = [...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })), ...(spec.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value }))];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: distinguishedName(spec.commonName, spec.organization),
    issuer: ca.cert.subject,
    notBefore: new Date(now - NOT_BEFORE_SKEW_MS),
    notAfter: new Date(now + spec.validityDays * MS_PER_DAY),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([...EXTENDED_USAGES[spec.usage]], false),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

/** Why an existing leaf cannot be reused, or undefined when it can (signed by `ca`, valid for `minValidDays`, same names). */
export async function leafProblem(ca: Ca, certPem: string, spec: LeafSpec, minValidDays: number): Promise<string | undefined> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch (e) {
    return `not a PEM certificate (${e instanceof Error ? e.message : String(e)})`;
  }
  if (!(await cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }))) return 'not signed by the current CA';
  if (cert.notAfter.getTime() < Date.now() + minValidDays * MS_PER_DAY) return `expires ${cert.notAfter.toISOString()}`;
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const have = new Set((san?.names.items ?? []).map((n) => `${n.type}:${n.value}`));
  const want = [...(spec.dnsNames ?? []).map((v) => `dns:${v}`), ...(spec.ipAddresses ?? []).map((v) => `ip:${v}`)];
  const missing = want.filter((w) => !have.has(w));
  return missing.length > 0 ? `lacks the names ${missing.join(', ')}` : undefined;
}
