// A kubeconfig for one apiserver (`--write-kubeconfig FILE`), as JSON (valid YAML, which kubectl reads):
// the server URL, the bearer token when authentication is on, and for TLS the server's certificate as the
// trust anchor (kubectl's Go TLS stack accepts a self-signed leaf as its own root).
import { rename, writeFile } from 'node:fs/promises';
import type { JsonObject } from '../api/json.ts';

export interface KubeconfigSpec {
  readonly server: string;
  readonly token?: string;
  /** PEM of the CA (or the self-signed server certificate) to trust for https. */
  readonly caPem?: Buffer;
  readonly name?: string;
}

export function kubeconfig(spec: KubeconfigSpec): JsonObject {
  const name = spec.name ?? 'halyard';
  const cluster: JsonObject = { server: spec.server };
  if (spec.caPem !== undefined) cluster['certificate-authority-data'] = spec.caPem.toString('base64');
  const user: JsonObject = spec.token !== undefined ? { token: spec.token } : {};
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
    preferences: {},
  };
}

/** Writes the kubeconfig readable by its owner only (it may hold a token), atomically (write, then rename). */
export async function writeKubeconfig(path: string, spec: KubeconfigSpec): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(kubeconfig(spec), null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
