// What a user installs: @halyard/election packed, installed with npm into a project outside the workspace
// (with the @halyard/kv-client it depends on, and @halyard/kv for a member to elect over), and embedded in a
// plain-node ESM script — no tsx, no loader. Builds election's dist/ itself; the KV packages' dist/ come
// from `pnpm build` (which `pnpm test` runs first). Needs the npm registry for ws, msgpackr, commander, level.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../packages/kv/src/server/test-util.testutil.ts';

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BUILT_ELSEWHERE = ['kv-client', 'kv'] as const;
const PACKAGES = [...BUILT_ELSEWHERE, 'election'] as const;
const INSTALL_TIMEOUT_MS = 300_000;

const USER_SCRIPT = `
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMember, parseInitialCluster } from '@halyard/kv';
import { KvClient, KvLeaseLock, LeaderElector, isElectionError } from '@halyard/election';
const [peerPort, clientPort] = process.argv.slice(2);
const dataDir = mkdtempSync(join(tmpdir(), 'halyard-pack-election-'));
const peerUrl = 'http://127.0.0.1:' + peerPort;
const clientUrl = 'http://127.0.0.1:' + clientPort;
const member = await startMember({ name: 'm1', dataDir, peerUrl, clientUrl, initialCluster: parseInitialCluster('m1=' + peerUrl) });
const kv = new KvClient({ endpoints: [clientUrl] });
const lock = new KvLeaseLock({ kv, name: 'packed' });
const stop = new AbortController();
const out = {};
try {
  await new LeaderElector({
    lock, identity: 'plain-node', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300, releaseOnCancel: true,
    callbacks: {
      onStartedLeading: async (signal, lease) => {
        out.token = lease.fencingToken;
        out.fenced = (await lock.fencedTxn(lease, { success: [{ type: 'put', key: 'job', value: 'done' }] })).succeeded;
        stop.abort();
      },
      onStoppedLeading: () => { out.stopped = true; },
    },
  }).run(stop.signal);
  out.holderAfter = (await lock.get()).record.holderIdentity;
  try {
    await lock.fencedTxn({ identity: 'plain-node', fencingToken: out.token, signal: stop.signal, holds: () => true, assertHolds: () => {}, validUntilMs: Infinity }, { success: [] });
  } catch (e) {
    out.afterRelease = isElectionError(e, 'Deposed') ? 'Deposed' : String(e);
  }
  console.log(JSON.stringify(out));
} finally {
  await kv.close();
  await member.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
`;

describe('@halyard/election installs with npm and runs on plain node', () => {
  let work = '';
  let project = '';

  beforeAll(async () => {
    for (const p of BUILT_ELSEWHERE) {
      if (!existsSync(join(ROOT, 'packages', p, 'dist'))) throw new Error(`packages/${p}/dist is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
    }
    await run('npx', ['tsc', '-p', join(ROOT, 'packages', 'election', 'tsconfig.build.json')], { cwd: ROOT, timeout: 120_000 });
    work = await mkdtemp(join(tmpdir(), 'halyard-pack-election-'));
    const tarballs = join(work, 'tarballs');
    for (const p of PACKAGES) await run('npx', ['-y', 'pnpm@10.20.0', 'pack', '--pack-destination', tarballs], { cwd: join(ROOT, 'packages', p) });
    project = join(work, 'project');
    await run('mkdir', ['-p', project]);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    const files = (await readdir(tarballs)).map((f) => join(tarballs, f));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...files], { cwd: project, timeout: INSTALL_TIMEOUT_MS });
  }, INSTALL_TIMEOUT_MS + 180_000);

  afterAll(async () => {
    if (work !== '') await rm(work, { recursive: true, force: true });
  });

  it('ships compiled JavaScript and declarations, without tests, test support or TypeScript sources', async () => {
    const { stdout } = await run('find', [join(project, 'node_modules', '@halyard', 'election'), '-type', 'f']);
    const files = stdout.trim().split('\n');
    expect(files.some((f) => f.endsWith('dist/index.d.ts'))).toBe(true);
    expect(files.filter((f) => /\.test\.|\.testutil\.|\/testing\/|\/src\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  it('depends on @halyard/kv-client and commander only; prom-client is an optional peer', async () => {
    const pkg = JSON.parse(await readFile(join(project, 'node_modules', '@halyard', 'election', 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(['@halyard/kv-client', 'commander']);
    expect(Object.keys(pkg.peerDependencies ?? {})).toEqual(['prom-client']);
    expect(pkg.peerDependenciesMeta?.['prom-client']?.optional).toBe(true);
  });

  it('a plain-node script leads, writes through the fence, releases, and its token is then refused', async () => {
    await writeFile(join(project, 'use.mjs'), USER_SCRIPT);
    const [peerPort, clientPort] = await freePorts(2);
    const { stdout } = await run(process.execPath, ['use.mjs', String(peerPort), String(clientPort)], { cwd: project, timeout: 60_000 });
    const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(out).toMatchObject({ fenced: true, stopped: true, holderAfter: '', afterRelease: 'Deposed' });
    expect(out['token']).toBeGreaterThan(0);
  });

  it('elect-main runs compiled on plain node', async () => {
    const main = join(project, 'node_modules', '@halyard', 'election', 'dist', 'cli', 'elect-main.js');
    const { stdout } = await run(process.execPath, [main, 'elect', '--help'], { cwd: project });
    expect(stdout).toContain('--renew-deadline');
  });
});
