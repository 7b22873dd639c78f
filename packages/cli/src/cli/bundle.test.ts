// The built `halyard` bin (bin/halyard.js → dist/bundle/run.cjs, which runs the esbuild bundle
// dist/bundle/main.cjs with a V8 code cache: scripts/bundle.ts, code-cache.ts) behaves byte for byte as the
// unbundled compiled program (dist/cli/main.js): same stdout, stderr and exit code, with no code cache, a
// corrupt one or the one it wrote; commands the bundle does not hold are handed over to dist/cli/main.js
// and run there (handoff.ts); and a client command loads neither the unbundled files nor the built-in
// modules it has no use for. Needs the build (`pnpm build`, which `pnpm test` runs first).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeCluster } from '../../../../test/kv-client/testing/fake-cluster.ts';
import { cacheFiles } from './code-cache.ts';

const BIN = fileURLToPath(new URL('../../bin/halyard.js', import.meta.url));
const UNBUNDLED = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../dist/bundle/main.cjs', import.meta.url));
const LOADER = fileURLToPath(new URL('../../dist/bundle/run.cjs', import.meta.url));

/**
 * Preloaded with --import (plain JavaScript, so no loader of the test's own is in the way): at exit, writes
 * the built-in modules the process loaded and the CommonJS files it loaded (the bundled packages, ws and
 * commander, are CommonJS: unbundled, they would show there). require.cache is the process's own, whatever
 * path createRequire is given (a data: URL is not one it takes).
 */
const LOADED_PRELOAD = `data:text/javascript,${encodeURIComponent(`
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire('/');
process.on('exit', () => writeFileSync(process.env.HALYARD_LOADED_FILE, JSON.stringify({ builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)), commonJs: Object.keys(require.cache) })));
`)}`;

interface Run {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

function run(entry: string, args: readonly string[], opts: { stdin?: string; nodeArgs?: readonly string[]; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), entry, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

/** What a run answered, in a form that compares byte for byte. */
function summary(r: Run): { code: number | null; stdout: string; stderr: string } {
  return { code: r.code, stdout: r.stdout.toString('latin1'), stderr: r.stderr };
}

/** Runs `halyard ...args` through the bin and through the unbundled program; both must answer the same. */
async function expectSame(args: readonly string[], stdin?: string): Promise<Run> {
  const opts = stdin !== undefined ? { stdin } : {};
  const bundled = await run(BIN, args, opts);
  const unbundled = await run(UNBUNDLED, args, opts);
  expect(summary(bundled), args.join(' ')).toEqual(summary(unbundled));
  return bundled;
}

let cluster: FakeCluster;
let dir: string;

beforeAll(async () => {
  for (const f of [BUNDLE, LOADER, UNBUNDLED]) if (!existsSync(f)) throw new Error(`${f} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  cluster = await FakeCluster.start(1);
  dir = await mkdtemp(join(tmpdir(), 'halyard-bundle-'));
});

afterAll(async () => {
  await cluster?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('the bundled bin', () => {
  it('prints the same version, help and usage errors as the unbundled program', async () => {
    expect((await expectSame(['--version'])).stdout.toString()).toMatch(/^\d+\.\d+\.\d+\n$/);
    await expectSame(['version']);
    expect((await expectSame(['--help'])).stdout.toString()).toContain('Usage: halyard');
    await expectSame(['kv', '--help']);
    await expectSame(['kv', 'put', '--help']);
    expect((await expectSame(['no-such-command'])).code).toBe(2);
    expect((await expectSame(['kv', 'get', 'k', '--limit', 'many'])).code).toBe(2);
  });

  it('runs the client commands as the unbundled program does, bytes included', async () => {
    const eps = cluster.endpoints.join(',');
    expect((await run(BIN, ['kv', '--endpoints', eps, 'put', 'greeting'], { stdin: 'h\u00e9llo\n\u0000' })).stdout.toString()).toBe('OK\n');
    const got = await expectSame(['kv', '--endpoints', eps, 'get', 'greeting']);
    expect(got.stdout).toEqual(Buffer.concat([Buffer.from('greeting\n'), Buffer.from('h\u00e9llo\n\u0000'), Buffer.from('\n')]));
    await expectSame(['kv', '--endpoints', eps, '-w', 'json', 'get', 'greeting']);
    await expectSame(['kv', '--endpoints', eps, '--hex', 'get', 'greeting']);
    expect((await expectSame(['kv', '--endpoints', eps, 'lease', 'revoke', 'ffff'])).code).toBe(1);
    // fs/promises is loaded on first use in the bundle: a file named by a flag is read, or fails, the same.
    const txnFile = join(dir, 'txn.txt');
    await writeFile(txnFile, '\nput from-file v\n\n');
    expect((await expectSame(['kv', '--endpoints', eps, 'txn', '--file', txnFile])).stdout.toString()).toBe('SUCCESS\n\nOK\n');
    expect((await expectSame(['kv', '--endpoints', eps, 'txn', '--file', join(dir, 'missing.txt')])).code).toBe(1);
  });

  it('hands the commands it does not hold to the unbundled program, which runs them and sets the exit code', async () => {
    // Help of a command registered only in the unbundled program (the election SDK's).
    expect((await expectSame(['elect', '--help'])).stdout.toString()).toContain('elect');
    // A member's configuration error: a UsageError thrown by the unbundled member code and mapped to exit 2
    // by the unbundled program, with no class shared with the bundle's copy.
    expect((await expectSame(['kv', 'member', 'run', '--name', 'm1', '--data-dir', join(dir, 'm1'), '--initial-cluster', 'not-a-cluster'])).code).toBe(2);
    // snapshot restore loads the member server package after the bundle started the command: handed over
    // mid-action, the command runs once, in the unbundled program.
    const restore = await expectSame(['kv', 'snapshot', 'restore', join(dir, 'missing.db'), '--name', 'm1', '--data-dir', join(dir, 'r'), '--initial-cluster', 'm1=http://127.0.0.1:2380']);
    expect(restore.code).toBe(1);
    expect(restore.stderr.match(/cannot read snapshot/g)).toHaveLength(1);
  });

  it('answers the same with no code cache, a corrupt one and the one it wrote, and writes the client cache', async () => {
    const eps = cluster.endpoints.join(',');
    const files = cacheFiles(BUNDLE);
    const commands = [['kv', '--endpoints', eps, 'put', 'cached', 'v1'], ['kv', '--endpoints', eps, 'get', 'cached']];
    /** The commands in order (the get reads what the put wrote) through one entry. */
    const answers = async (entry: string): Promise<unknown[]> => {
      const got: unknown[] = [];
      for (const args of commands) got.push(summary(await run(entry, args)));
      return got;
    };
    const expected = await answers(UNBUNDLED);
    const bin = (): Promise<unknown[]> => answers(BIN);
    await rm(files.client, { force: true });
    await rm(files.base, { force: true });
    expect(await bin(), 'no cache').toEqual(expected);
    // A put ran (the network client): its cache is the one kept.
    expect(existsSync(files.client)).toBe(true);
    expect(await bin(), 'the cache it wrote').toEqual(expected);
    await writeFile(files.client, Buffer.from('not a V8 code cache'));
    expect(await bin(), 'a corrupt cache').toEqual(expected);
    // The rejected cache was replaced by a real one.
    expect((await readFile(files.client)).toString('latin1')).not.toBe('not a V8 code cache');
  });

  it('kv put loads only the bundle, and not TLS, HTTPS, zlib, child_process or fs/promises', async () => {
    const file = join(dir, 'loaded.json');
    const r = await run(BIN, ['kv', '--endpoints', cluster.endpoints.join(','), 'put', 'k', 'v'], { nodeArgs: ['--import', LOADED_PRELOAD], env: { HALYARD_LOADED_FILE: file } });
    expect(r.code).toBe(0);
    const loaded = JSON.parse(await readFile(file, 'utf8')) as { builtins: string[]; commonJs: string[] };
    // The bin and the bundle's loader; the bundle itself is compiled by the loader, not required. (The
    // package's own package.json is there: version.ts reads the version from it.)
    expect(loaded.commonJs.filter((f) => !f.endsWith('package.json'))).toEqual([BIN, LOADER]);
    expect(loaded.builtins).toContain('http');
    for (const unused of ['tls', 'https', 'zlib', 'child_process', 'fs/promises']) expect(loaded.builtins, unused).not.toContain(unused);
  });
});
