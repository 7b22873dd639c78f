// The token a local cluster's id derives from. etcd's default token is a constant ("etcd-cluster"), so
// two default clusters share an id and a peer of one is taken for a peer of the other; kubeadm-style
// local clusters get a random one instead, kept beside the data so a restart finds the same cluster.
import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const CLUSTER_TOKEN_FILE = 'cluster-token';
/** What local clusters used before tokens were random: data folders made then keep it. */
export const LEGACY_CLUSTER_TOKEN = 'halyard-local';

const TOKEN_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The token in `<dataDir>/cluster-token`, or `given` (written there when the file is absent), or a new
 * random one. A data folder that already holds member data but no token file was made with the old fixed
 * token, which its members' stored cluster id still derives from: that one is kept.
 */
export async function ensureClusterToken(dataDir: string, given: string | undefined, memberNames: readonly string[]): Promise<string> {
  const file = join(dataDir, CLUSTER_TOKEN_FILE);
  let stored: string | undefined;
  try {
    stored = (await readFile(file, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (stored !== undefined) {
    if (!TOKEN_PATTERN.test(stored)) throw new Error(`${file} does not hold a cluster token (letters, digits, . _ -); remove it or the whole folder`);
    if (given !== undefined && given !== stored) throw new Error(`the cluster in ${dataDir} has token ${JSON.stringify(stored)} (${file}), not ${JSON.stringify(given)}`);
    return stored;
  }
  const legacy = (await Promise.all(memberNames.map((n) => exists(join(dataDir, n))))).some((x) => x);
  const token = given ?? (legacy ? LEGACY_CLUSTER_TOKEN : `halyard-${randomBytes(12).toString('hex')}`);
  if (!TOKEN_PATTERN.test(token)) throw new Error(`cluster token ${JSON.stringify(token)}: use letters, digits, . _ - (at most 128)`);
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
