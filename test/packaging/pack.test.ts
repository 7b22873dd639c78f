// What a user installs: the packed tarballs, installed with npm into a project outside the workspace, run
// on plain node (no tsx, no loader). Needs the compiled dist/ (`pnpm build`, which `pnpm test` runs first)
// and the npm registry for the packages' own dependencies (ws, msgpackr, level, …).

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
/** Packed in dependency order; npm resolves each `workspace:*` (packed as a version) to its sibling tarball. */
const PACKAGES = ['kv-client', 'kv', 'election', 'apiserver', 'cli'] as const;
/** npm install from the registry on a loaded machine; generous, it is only the outer bound. */
const INSTALL_TIMEOUT_MS = 300_000;

const USER_SCRIPT = `
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMember, parseInitialCluster } from '@halyard/kv';
import { KvClient, bytesToString } from '@halyard/kv-client';
const [peerPort, clientPort] = process.argv.slice(2);
const dataDir = mkdtempSync(join(tmpdir(), 'halyard-pack-member-'));
const peerUrl = 'http://127.0.0.1:' + peerPort;
const clientUrl = 'http://127.0.0.1:' + clientPort;
const member = await startMember({ name: 'm1', dataDir, peerUrl, clientUrl, initialCluster: parseInitialCluster('m1=' + peerUrl) });
const client = new KvClient({ endpoints: [clientUrl] });
try {
  const put = await client.put('greeting', 'hello from plain node');
  const got = await client.get('greeting');
  console.log(JSON.stringify({ revision: put.header.revision, value: bytesToString(got.kvs[0].value) }));
} finally {
  client.close();
  await member.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
`;

describe('packages install with npm and run on plain node', () => {
  let work = '';
  let project = '';

  beforeAll(async () => {
    for (const p of PACKAGES) {
      if (!existsSync(join(ROOT, 'packages', p, 'dist'))) throw new Error(`packages/${p}/dist is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
    }
    work = await mkdtemp(join(tmpdir(), 'halyard-pack-'));
    const tarballs = join(work, 'tarballs');
    for (const p of PACKAGES) {
      await run('npx', ['-y', 'pnpm@10.20.0', 'pack', '--pack-destination', tarballs], { cwd: join(ROOT, 'packages', p) });
    }
    project = join(work, 'project');
    await run('mkdir', ['-p', project]);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    const files = (await readdir(tarballs)).map((f) => join(tarballs, f));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...files], { cwd: project, timeout: INSTALL_TIMEOUT_MS });
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    if (work !== '') await rm(work, { recursive: true, force: true });
  });

  it('ships compiled JavaScript and declarations, without tests or TypeScript sources', async () => {
    for (const p of PACKAGES) {
      const dir = join(project, 'node_modules', '@halyard', p);
      const { stdout } = await run('find', [dir, '-type', 'f', '-not', '-path', '*/node_modules/*/node_modules/*']);
      const files = stdout.trim().split('\n');
      expect(files.some((f) => f.endsWith('.d.ts')), `${p} has declarations`).toBe(true);
      expect(files.filter((f) => /\.test\.|\.testutil\.|\/src\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts'))), `${p} ships no tests or sources`).toEqual([]);
    }
  });

  it('a plain-node ESM script starts a member from @halyard/kv and puts and gets a key with @halyard/kv-client', async () => {
    await writeFile(join(project, 'use.mjs'), USER_SCRIPT);
    const [peerPort, clientPort] = await freePorts(2);
    const { stdout } = await run(process.execPath, ['use.mjs', String(peerPort), String(clientPort)], { cwd: project, timeout: 60_000 });
    const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { revision?: number; value?: string };
    expect(out.value).toBe('hello from plain node');
    expect(out.revision).toBeGreaterThan(0);
  });

  it('the kv-client package depends on ws and msgpackr only', async () => {
    const pkg = JSON.parse(await readFile(join(project, 'node_modules', '@halyard', 'kv-client', 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(['msgpackr', 'ws']);
  });

  it('installs a `halyard` bin that runs compiled JS on plain node', async () => {
    const bin = join(project, 'node_modules', '.bin', 'halyard');
    const { stdout } = await run(bin, ['--help'], { cwd: project });
    expect(stdout).toContain('Usage: halyard');
    expect(stdout).toContain('kv');
    // The bin runs the bundle (dist/bundle/); it reads the version from the installed package.json.
    const pkg = JSON.parse(await readFile(join(project, 'node_modules', '@halyard', 'cli', 'package.json'), 'utf8')) as { version: string };
    expect((await run(bin, ['--version'], { cwd: project })).stdout).toBe(`${pkg.version}\n`);
    // A command the bundle hands over to the unbundled dist/ (registered by the installed election package).
    expect((await run(bin, ['elect', '--help'], { cwd: project })).stdout).toContain('Usage: halyard elect');
  });
});
