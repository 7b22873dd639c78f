// Certificates on disk: created on first use, reused afterwards, re-issued only when a leaf no longer fits
// (another CA, expiring, missing names). Keys are written 0600 and certificates 0644, as kubeadm does.

import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Ca, type KeyPairPem, type LeafSpec, createCa, issueLeaf, leafProblem, loadCa } from './x509.ts';

/** kubeadm's defaults: CAs for ten years, leaves for one. */
export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
/** A leaf with less than this left is re-issued at the next start instead of failing in the middle of a run. */
export const LEAF_RENEW_BEFORE_DAYS = 30;

/** The two files of one certificate, as TLS options take them. */
export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

async function readPair(files: CertFiles): Promise<KeyPairPem | undefined> {
  try {
    return { certPem: await readFile(files.certFile, 'utf8'), keyPem: await readFile(files.keyFile, 'utf8') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

async function writePair(files: CertFiles, pem: KeyPairPem): Promise<void> {
  // The key first: a certificate on disk without its key would look reusable and fail later.
  await writeAtomic(files.keyFile, pem.keyPem, 0o600);
  await writeAtomic(files.certFile, pem.certPem, 0o644);
}

export function pairIn(dir: string, base: string): CertFiles {
  return { certFile: join(dir, `${base}.crt`), keyFile: join(dir, `${base}.key`) };
}

/** The CA in `files`, created when absent. `created` tells the caller to re-issue every leaf it signed. */
export async function ensureCa(files: CertFiles, commonName: string): Promise<{ ca: Ca; created: boolean }> {
  const existing = await readPair(files);
  if (existing !== undefined) {
    try {
      return { ca: await loadCa(existing), created: false };
    } catch (e) {
      throw new Error(`the CA in ${files.certFile} / ${files.keyFile} cannot be read (${e instanceof Error ? e.message : String(e)}); move the folder away to generate a new one`);
    }
  }
  const ca = await createCa(commonName, CA_VALIDITY_DAYS);
  await writePair(files, ca.pem);
  return { ca, created: true };
}

/** A leaf signed by `ca` in `files`: the one on disk when it still fits `spec`, else a new one. */
export async function ensureLeaf(ca: Ca, files: CertFiles, spec: Omit<LeafSpec, 'validityDays'>): Promise<{ files: CertFiles; issued: boolean; reason?: string }> {
  const full: LeafSpec = { ...spec, validityDays: LEAF_VALIDITY_DAYS };
  const existing = await readPair(files);
  const problem = existing === undefined ? 'missing' : await leafProblem(ca, existing.certPem, full, LEAF_RENEW_BEFORE_DAYS);
  if (problem === undefined) return { files, issued: false };
  await writePair(files, await issueLeaf(ca, full));
  return { files, issued: true, reason: problem };
}
