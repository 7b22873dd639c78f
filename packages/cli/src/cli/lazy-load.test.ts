// `halyard kv put k v` loads the client and nothing else: not the member server (LevelDB, prom-client),
// not the fuzzers (cli-progress). The command tree is definitions only; each action imports what it runs.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeCluster } from '../../../../test/kv-client/testing/fake-cluster.ts';

const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const PRELOAD = pathToFileURL(fileURLToPath(new URL('./loaded-modules.testutil.ts', import.meta.url))).href;

let cluster: FakeCluster;
let dir: string;

beforeAll(async () => {
  cluster = await FakeCluster.start(1);
  dir = await mkdtemp(join(tmpdir(), 'halyard-lazy-'));
});

afterAll(async () => {
  await cluster.close();
  await rm(dir, { recursive: true, force: true });
});

/** The CommonJS packages `halyard ...args` loaded, by package name. */
async function packagesLoaded(args: readonly string[]): Promise<{ code: number | null; packages: Set<string> }> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, '--import', PRELOAD, MAIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, HALYARD_LOADED_MODULES_FILE: file } });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  const paths = JSON.parse(await readFile(file, 'utf8')) as string[];
  const packages = new Set(paths.flatMap((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(p)?.[1] ?? []));
  return { code, packages };
}

describe('lazy loading', () => {
  it('kv put loads the client (ws) but neither the server (classic-level, prom-client) nor the fuzzers (cli-progress)', async () => {
    const { code, packages } = await packagesLoaded(['kv', '--endpoints', cluster.endpoints[0] as string, 'put', 'k', 'v']);
    expect(code).toBe(0);
    expect(packages.has('ws')).toBe(true);
    for (const heavy of ['classic-level', 'level', 'prom-client', 'cli-progress']) expect(packages.has(heavy), heavy).toBe(false);
  });

  it('help loads no client either', async () => {
    const { code, packages } = await packagesLoaded(['kv', '--help']);
    expect(code).toBe(0);
    for (const heavy of ['ws', 'classic-level', 'prom-client', 'cli-progress']) expect(packages.has(heavy), heavy).toBe(false);
  });
});
