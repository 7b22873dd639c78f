// Only in the bundled bin: runs the command line's bundle (dist/bundle/main.cjs, scripts/bundle.ts) compiled
// with a V8 code cache, so a short command such as `halyard kv put` skips most of the parsing and compiling
// of its ~500 KiB of JavaScript (the largest share of its own start-up after Node's). Node 20 has no compile
// cache for ES modules (Node 22's module.enableCompileCache is the same idea, built in), hence a CommonJS
// bundle compiled through vm.Script with `cachedData`, as v8-compile-cache does for required files.
//
// The cache is written by the bin itself, at exit, next to the bundle: V8 caches only the functions that
// have been compiled, so a cache made at build time would hold little more than the top level. It is
// written when there is none, when V8 rejected the one there (another Node or V8 flags: V8 checks its
// version, flags and the source's hash, and a rejected cache only costs the compile it would have saved),
// and once more after the first client command (the one that loads the network client), so that a first
// `--help` does not leave the client uncached for good. Writing is best effort: a read-only install runs
// without a cache. Writes go through a temporary file and a rename, so concurrent runs never read half a
// cache. Nothing is printed and the exit code is untouched.
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/** What a code cache on disk covers: a run that never dialled a member, or one that did. */
export type CacheCoverage = 'base' | 'client';

/** The cache on disk that a run found: none, one V8 took, or one V8 rejected. */
export type CacheState = { readonly kind: 'none' } | { readonly kind: 'accepted' | 'rejected'; readonly coverage: CacheCoverage };

/**
 * Which cache, if any, a run writes at exit: none when V8 took a cache at least as complete as the run's
 * own; else one covering what this run compiled.
 */
export function cacheToWrite(found: CacheState, usedNetwork: boolean): CacheCoverage | undefined {
  const coverage: CacheCoverage = usedNetwork ? 'client' : 'base';
  if (found.kind !== 'accepted') return coverage;
  return found.coverage === 'base' && usedNetwork ? 'client' : undefined;
}

/** The cache files of a bundle, the more complete first. */
export function cacheFiles(bundlePath: string): Readonly<Record<CacheCoverage, string>> {
  return { client: `${bundlePath}.client.v8cache`, base: `${bundlePath}.base.v8cache` };
}

/** Built-in modules whose loading shows that the run used the network client (ws requires them). */
const NETWORK_MODULES: ReadonlySet<string> = new Set(['net', 'node:net']);

/**
 * The name under which the bundle's code finds import() (scripts/bundle.ts rewrites handoff.ts's import()
 * to it): Node 20 gives a vm.Script compiled from a code cache no loader for import(), so this module, an
 * ordinary CommonJS module, lends its own.
 */
export const BUNDLE_IMPORT = '__halyardImport';

/** CommonJS's module wrapper as Node's loader applies it (vm.Script compiles a script, not a module), and import(). */
const wrap = (source: string): string => `(function (exports, require, module, __filename, __dirname, ${BUNDLE_IMPORT}) { ${source}\n});`;

function readCache(files: Readonly<Record<CacheCoverage, string>>): { data: Buffer; coverage: CacheCoverage } | undefined {
  for (const coverage of ['client', 'base'] as const) {
    try {
      return { data: readFileSync(files[coverage]), coverage };
    } catch {
      // Not there (or unreadable): try the next, or run without.
    }
  }
  return undefined;
}

/**
 * Writes the cache through a temporary file and a rename. The temporary file is opened before V8
 * serialises the cache, so a read-only install does not pay for serialising at every run.
 */
function writeCache(files: Readonly<Record<CacheCoverage, string>>, coverage: CacheCoverage, serialise: () => Buffer): void {
  const target = files[coverage];
  const temporary = `${target}.${process.pid}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'wx');
    writeSync(fd, serialise());
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, target);
    if (coverage === 'client') rmSync(files.base, { force: true });
  } catch {
    // Best effort (read-only install, full disk): the next run compiles as this one did.
    try {
      if (fd !== undefined) closeSync(fd);
      rmSync(temporary, { force: true });
    } catch {
      // Nothing was written, or it cannot be removed either.
    }
  }
}

/**
 * Runs the CommonJS bundle at `bundlePath` as Node's loader would run it as the main module (its own
 * `require`, `module`, `__filename`), compiled with its code cache when there is one; at `onExit` (the
 * process's exit; a seam for tests) writes the cache that cacheToWrite asks for. Returns the cache it found.
 */
export function runBundle(bundlePath: string, onExit: (write: () => void) => void = (write) => void process.once('exit', write)): CacheState {
  const bundleRequire = createRequire(bundlePath);
  const files = cacheFiles(bundlePath);
  const cached = readCache(files);
  // esbuild keeps main.js's `#!` line, which is not JavaScript inside the wrapper (Node's loader drops it too).
  const source = readFileSync(bundlePath, 'utf8').replace(/^#!.*/, '');
  const script = new vm.Script(wrap(source), {
    filename: bundlePath,
    ...(cached !== undefined ? { cachedData: cached.data } : {}),
  });
  const found: CacheState = cached === undefined ? { kind: 'none' } : { kind: script.cachedDataRejected === true ? 'rejected' : 'accepted', coverage: cached.coverage };
  let usedNetwork = false;
  const trackingRequire = Object.assign((id: string): unknown => {
    if (NETWORK_MODULES.has(id)) usedNetwork = true;
    return bundleRequire(id);
  }, bundleRequire);
  onExit(() => {
    const coverage = cacheToWrite(found, usedNetwork);
    if (coverage !== undefined) writeCache(files, coverage, () => script.createCachedData());
  });
  const module = { exports: {}, id: '.', filename: bundlePath, loaded: false, children: [], paths: [] };
  const importModule = (specifier: string): Promise<unknown> => import(specifier);
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, trackingRequire, module, bundlePath, dirname(bundlePath), importModule);
  return found;
}

/** dist/bundle/main.cjs, beside this loader once bundled (dist/bundle/run.cjs). */
export const BUNDLE_PATH = fileURLToPath(new URL('./main.cjs', import.meta.url));
