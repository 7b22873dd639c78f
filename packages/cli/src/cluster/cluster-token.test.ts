import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLUSTER_TOKEN_FILE, ensureClusterToken, LEGACY_CLUSTER_TOKEN } from './cluster-token.ts';
import { formatKvEnv, kvCommandHint, readKvEnvFile } from './env-file.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'halyard-token-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('cluster token', () => {
  it('is random per new data folder, kept 0600, and reused on restart', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const ta = await ensureClusterToken(a, undefined, ['m1']);
    const tb = await ensureClusterToken(b, undefined, ['m1']);
    expect(ta).not.toBe(tb);
    expect(ta).not.toBe(LEGACY_CLUSTER_TOKEN);
    expect((await stat(join(a, CLUSTER_TOKEN_FILE))).mode & 0o777).toBe(0o600);
    expect(await ensureClusterToken(a, undefined, ['m1'])).toBe(ta);
    expect(await ensureClusterToken(a, ta, ['m1'])).toBe(ta);
  });

  it('keeps the old fixed token for a folder that has member data but no token file', async () => {
    const d = await tempDir();
    await mkdir(join(d, 'm2'));
    expect(await ensureClusterToken(d, undefined, ['m1', 'm2'])).toBe(LEGACY_CLUSTER_TOKEN);
    expect((await readFile(join(d, CLUSTER_TOKEN_FILE), 'utf8')).trim()).toBe(LEGACY_CLUSTER_TOKEN);
  });

  it('refuses a given token that differs from the stored one, and a corrupt file', async () => {
    const d = await tempDir();
    await ensureClusterToken(d, 'first', ['m1']);
    await expect(ensureClusterToken(d, 'second', ['m1'])).rejects.toThrow(/has token "first"/);
    await writeFile(join(d, CLUSTER_TOKEN_FILE), 'has spaces in it\n');
    await expect(ensureClusterToken(d, undefined, ['m1'])).rejects.toThrow(/does not hold a cluster token/);
  });
});

describe('halyard.env', () => {
  it('reads back what it writes, quotes included, and the hint carries every flag', async () => {
    const d = await tempDir();
    const env = { endpoints: ['https://127.0.0.1:2379', 'https://127.0.0.1:12379'], cacert: join(d, "it's", 'ca.crt'), cert: '/c.crt', key: '/c.key' };
    await writeFile(join(d, 'halyard.env'), formatKvEnv(env));
    expect(readKvEnvFile(join(d, 'halyard.env'))).toEqual(env);
    expect(readKvEnvFile(join(d, 'absent.env'))).toBeUndefined();
    expect(kvCommandHint(env, 'get k')).toBe(`halyard kv --endpoints https://127.0.0.1:2379,https://127.0.0.1:12379 --cacert ${env.cacert} --cert /c.crt --key /c.key get k`);
    expect(kvCommandHint({ endpoints: ['http://127.0.0.1:2379'] }, 'get k')).toBe('halyard kv --endpoints http://127.0.0.1:2379 get k');
  });
});
