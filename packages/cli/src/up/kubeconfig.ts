// The kubeconfig `halyard up` writes (pointing at the load balancer) and the apiservers' token file
// (kube-apiserver's --token-auth-file CSV: token,user,uid,"group,…"), both from the state's admin token.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const ADMIN_USER = 'halyard-admin';
/** kube-apiserver's superuser group: the admin may do anything. */
export const ADMIN_GROUP = 'system:masters';
export const CONTEXT_NAME = 'halyard';

export interface KubeconfigOptions {
  readonly server: string;
  readonly token: string;
  /** PEM of the CA that signed the apiservers' serving certificate, when they serve HTTPS. */
  readonly caPem?: string;
}

/** YAML (every scalar double-quoted as JSON, which YAML reads as is), in kubectl's layout. */
export function renderKubeconfig(o: KubeconfigOptions): string {
  const q = (s: string): string => JSON.stringify(s);
  const ca = o.caPem !== undefined ? [`    certificate-authority-data: ${q(Buffer.from(o.caPem).toString('base64'))}`] : [];
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${q(CONTEXT_NAME)}`,
    '  cluster:',
    `    server: ${q(o.server)}`,
    ...ca,
    'users:',
    `- name: ${q(ADMIN_USER)}`,
    '  user:',
    `    token: ${q(o.token)}`,
    'contexts:',
    `- name: ${q(CONTEXT_NAME)}`,
    '  context:',
    `    cluster: ${q(CONTEXT_NAME)}`,
    `    user: ${q(ADMIN_USER)}`,
    `    namespace: ${q('default')}`,
    `current-context: ${q(CONTEXT_NAME)}`,
    '',
  ].join('\n');
}

export function renderTokenFile(adminToken: string): string {
  return `${adminToken},${ADMIN_USER},${ADMIN_USER},"${ADMIN_GROUP}"\n`;
}

export function kubeconfigPath(dataDir: string): string {
  return join(dataDir, 'kubeconfig');
}

export function tokenFilePath(dataDir: string): string {
  return join(dataDir, 'auth', 'tokens.csv');
}

/** Both files, readable by the owner only (they hold the admin token). */
export async function writeAccessFiles(dataDir: string, o: KubeconfigOptions): Promise<{ kubeconfig: string; tokenFile: string }> {
  const kubeconfig = kubeconfigPath(dataDir);
  const tokenFile = tokenFilePath(dataDir);
  await mkdir(dirname(tokenFile), { recursive: true });
  await writeFile(tokenFile, renderTokenFile(o.token), { mode: 0o600 });
  await writeFile(kubeconfig, renderKubeconfig(o), { mode: 0o600 });
  return { kubeconfig, tokenFile };
}

/** What `halyard up` prints so a person can use the cluster. */
export function kubectlHint(kubeconfig: string): string {
  return [
    `kubeconfig: ${kubeconfig}`,
    `  export KUBECONFIG=${kubeconfig}`,
    '  kubectl get --raw /readyz',
    '  kubectl create configmap hello --from-literal=greeting=hi',
    '  kubectl get leases -n kube-system -w     # the controllers\' elections',
  ].join('\n');
}
