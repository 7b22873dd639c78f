// The bundle's code cache (code-cache.ts): which cache a run writes, and runBundle over a small bundle of
// our own in this process — the cache written at exit, taken by the next run, replaced when V8 rejects it
// or when a run used the network after a run that did not. (bundle.test.ts runs the real bin with and
// without a cache.)
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUNDLE_IMPORT, type CacheState, cacheFiles, cacheToWrite, runBundle } from './code-cache.ts';

describe('cacheToWrite', () => {
  const none: CacheState = { kind: 'none' };
  it.each([
    // No cache, or one V8 rejected (another Node, other flags, another bundle): write what this run compiled.
    [none, false, 'base'],
    [none, true, 'client'],
    [{ kind: 'rejected', coverage: 'client' }, false, 'base'],
    [{ kind: 'rejected', coverage: 'base' }, true, 'client'],
    // A cache V8 took: only a run that reached the client improves on one that did not.
    [{ kind: 'accepted', coverage: 'base' }, true, 'client'],
    [{ kind: 'accepted', coverage: 'base' }, false, undefined],
    [{ kind: 'accepted', coverage: 'client' }, true, undefined],
    [{ kind: 'accepted', coverage: 'client' }, false, undefined],
  ] as const)('found %j, used the network: %s → writes %s', (found, usedNetwork, expected) => {
    expect(cacheToWrite(found, usedNetwork)).toBe(expected);
  });
});

describe('runBundle', () => {
  let dir: string;
  let bundle: string;
  /** What each run of the test bundle recorded (it pushes onto a global list). */
  const runs: unknown[][] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'halyard-code-cache-'));
    bundle = join(dir, 'main.cjs');
    runs.length = 0;
    (globalThis as { halyardCodeCacheRuns?: unknown[][] }).halyardCodeCacheRuns = runs;
  });

  afterEach(async () => {
    delete (globalThis as { halyardCodeCacheRuns?: unknown[][] }).halyardCodeCacheRuns;
    delete (globalThis as { halyardCodeCacheNetwork?: boolean }).halyardCodeCacheNetwork;
    await rm(dir, { recursive: true, force: true });
  });

  /** A bundle that records its wrapper's arguments, and requires node:net (as ws does) when the test says. */
  async function writeBundle(variant = ''): Promise<void> {
    await writeFile(
      bundle,
      `#!/usr/bin/env node\nif (globalThis.halyardCodeCacheNetwork) require('node:net');\nglobalThis.halyardCodeCacheRuns.push([__filename, __dirname, typeof module.exports, typeof require.resolve, typeof ${BUNDLE_IMPORT}, [1, 2, 3].map((x) => x * 2).join()]);\n${variant}`,
    );
  }

  /** One run, with or without the network; its exit hook is called at once, as the process's exit would. */
  function runOnce(network = false): CacheState {
    (globalThis as { halyardCodeCacheNetwork?: boolean }).halyardCodeCacheNetwork = network;
    let write: (() => void) | undefined;
    const found = runBundle(bundle, (w) => (write = w));
    expect(write).toBeDefined();
    write?.();
    return found;
  }

  it('runs the bundle as a CommonJS main module, with import() lent to it', async () => {
    await writeBundle();
    runOnce();
    expect(runs).toEqual([[bundle, dir, 'object', 'function', 'function', '2,4,6']]);
  });

  it('writes a cache at the first run, which the next run takes and leaves alone', async () => {
    await writeBundle();
    const files = cacheFiles(bundle);
    expect(runOnce()).toEqual({ kind: 'none' });
    const written = await readFile(files.base);
    expect(written.byteLength).toBeGreaterThan(0);
    expect(existsSync(files.client)).toBe(false);
    expect(runOnce()).toEqual({ kind: 'accepted', coverage: 'base' });
    expect(await readFile(files.base)).toEqual(written);
    expect(runs).toHaveLength(2);
  });

  it('replaces a cache V8 rejects, and the run still runs', async () => {
    await writeBundle();
    const files = cacheFiles(bundle);
    await writeFile(files.base, Buffer.from('not a V8 code cache'));
    expect(runOnce()).toEqual({ kind: 'rejected', coverage: 'base' });
    expect(runs).toHaveLength(1);
    expect(runOnce()).toEqual({ kind: 'accepted', coverage: 'base' });
  });

  it('a cache of another bundle is rejected (V8 checks the source), and replaced', async () => {
    await writeBundle();
    runOnce();
    await writeBundle('// another build\n');
    expect(runOnce()).toEqual({ kind: 'rejected', coverage: 'base' });
    expect(runOnce()).toEqual({ kind: 'accepted', coverage: 'base' });
    expect(runs).toHaveLength(3);
  });

  it('after runs without the network, the first run with it writes the client cache, which later runs prefer', async () => {
    await writeBundle();
    const files = cacheFiles(bundle);
    runOnce();
    expect(runOnce()).toEqual({ kind: 'accepted', coverage: 'base' });
    expect(existsSync(files.client)).toBe(false);
    expect(runOnce(true)).toEqual({ kind: 'accepted', coverage: 'base' });
    expect(existsSync(files.client)).toBe(true);
    expect(existsSync(files.base)).toBe(false);
    expect(runOnce(false)).toEqual({ kind: 'accepted', coverage: 'client' });
    expect(runOnce(true)).toEqual({ kind: 'accepted', coverage: 'client' });
  });

  it('runs without writing when the cache cannot be written', async () => {
    await writeBundle();
    const files = cacheFiles(bundle);
    // A directory where the cache file would go: the write fails, the run does not.
    await mkdir(files.base);
    expect(runOnce()).toEqual({ kind: 'none' });
    expect(runs).toHaveLength(1);
    expect(existsSync(`${files.base}.${process.pid}.tmp`)).toBe(false);
  });

  it('runs without writing when its temporary file cannot be created', async () => {
    await writeBundle();
    const files = cacheFiles(bundle);
    await mkdir(`${files.base}.${process.pid}.tmp`);
    expect(runOnce()).toEqual({ kind: 'none' });
    expect(runs).toHaveLength(1);
    expect(existsSync(files.base)).toBe(false);
    // Once it can, the next run writes.
    await rm(`${files.base}.${process.pid}.tmp`, { recursive: true });
    runOnce();
    expect(existsSync(files.base)).toBe(true);
  });
});
