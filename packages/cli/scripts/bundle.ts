// Builds the `halyard` bin's bundle (dist/bundle/) from the compiled dist/ with esbuild: the command tree
// and the KV client commands, with commander, ws and msgpackr, in one CommonJS file (main.cjs), and the
// loader that runs it with a V8 code cache (run.cjs, src/cli/code-cache.ts). A short-lived command such as
// `halyard kv put` then makes Node read one file instead of resolving 83, and, once the cache is written,
// compile little of it: most of its own start-up cost above Node's. CommonJS because Node 20 caches no
// compiled code for ES modules; one file because esbuild splits code only for ES modules. Lazy commands
// stay lazy inside the file: a module that a command imports is initialised only when it runs.
//
// What the bundle holds is decided here, once: the client commands (CLIENT_COMMAND_MODULES). Every other
// module imported lazily (a member, local clusters, fuzzers, `up`, election, API server: LevelDB, native
// add-ons, child processes whose paths are computed from their own file's location) is replaced by
// handoff.ts, which re-runs the command line with the unbundled dist/cli/main.js. Members and clusters keep
// running dist/ as before.
//
// Run after tsc (the root `build` script does): tsx packages/cli/scripts/bundle.ts

import { build, type Metafile, type Plugin } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_IMPORT } from '../src/cli/code-cache.ts';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(PACKAGE_DIR, 'dist');
/** Two levels below the package like dist/cli/, so version.ts's `../../package.json` and handoff.ts's `../cli/main.js` hold. */
const OUT_DIR = join(DIST, 'bundle');

/** The lazily imported modules that the bundle holds: the implementations of the KV client commands. */
const CLIENT_COMMAND_MODULES: ReadonlySet<string> = new Set(['kv-process-io', 'kv-keys', 'kv-lease', 'kv-endpoint', 'kv-members', 'kv-maintenance'].map((m) => join(DIST, 'cli', `${m}.js`)));
const HANDOFF = join(DIST, 'cli', 'handoff.js');
const CODE_CACHE = join(DIST, 'cli', 'code-cache.js');
/** The only third-party packages allowed in the bundle: what the client commands need, all plain JavaScript. */
const BUNDLED_PACKAGES: ReadonlySet<string> = new Set(['commander', 'ws', 'msgpackr']);

/**
 * kv-client requires ws through createRequire (see connection.ts), which esbuild cannot follow; in the
 * bundle it becomes a plain require, so ws is bundled rather than looked up next to the bundle at run time.
 */
const WS_REQUIRE = { file: join('kv-client', 'dist', 'client', 'connection.js'), from: "createRequire(import.meta.url)('ws')", to: "require('ws')" } as const;

/**
 * handoff.ts imports the unbundled program with import(). The bundle runs as a vm.Script (code-cache.ts),
 * where Node 20 finds no loader for import() once the script comes from a code cache (and warns that the
 * main context's loader is experimental otherwise), so the loader, an ordinary CommonJS module, passes its
 * own import() in as a parameter of the bundle's wrapper (code-cache.ts's BUNDLE_IMPORT).
 */
const HANDOFF_IMPORT = { from: 'import(', to: `${BUNDLE_IMPORT}(` } as const;

/**
 * Node built-in modules that the bundled code loads at start-up but uses only in cases a client command
 * on plain http never meets: TLS and HTTPS (wss:// endpoints only), zlib (ws's permessage-deflate, which
 * kv-client switches off), child_process (commander's executable subcommands, which we do not define)
 * and fs/promises (files named by a flag: `txn --file`, snapshots; it brings a dozen modules of its own,
 * readline's among them). In the bundle each is a stand-in that loads the real module on first use of any of its exports, sparing
 * a short command the loading of those modules (a visible part of its start-up).
 */
const LAZY_BUILTINS: readonly string[] = ['tls', 'https', 'zlib', 'child_process', 'fs/promises'];
const LAZY_NAMESPACE = 'halyard-lazy-builtin';

/** A CommonJS stand-in for a built-in module: the same export names, each a getter that loads the real one. */
function lazyBuiltinSource(name: string): string {
  const names = Object.keys(createRequire(import.meta.url)(`node:${name}`) as object);
  return [
    `let real;`,
    `const load = () => (real ??= require('node:${name}'));`,
    `for (const key of ${JSON.stringify(names)}) Object.defineProperty(module.exports, key, { enumerable: true, get: () => load()[key] });`,
  ].join('\n');
}

/** The boundary (client commands in, the rest handed off), the lazy built-ins, and ws as a plain require. */
const halyardBundle: Plugin = {
  name: 'halyard-bundle',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      // Only our own lazy imports are a boundary; the bundled packages' own (if any) resolve as usual.
      if (args.kind !== 'dynamic-import' || args.pluginData === 'resolving' || packageOf(args.importer) !== undefined) return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: CLIENT_COMMAND_MODULES.has(resolved.path) ? resolved.path : HANDOFF };
    });
    b.onResolve({ filter: new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`) }, (args) => (args.namespace === LAZY_NAMESPACE ? undefined : { path: args.path.replace(/^node:/, ''), namespace: LAZY_NAMESPACE }));
    b.onLoad({ filter: /.*/, namespace: LAZY_NAMESPACE }, (args) => ({ contents: lazyBuiltinSource(args.path), loader: 'js' }));
    b.onLoad({ filter: /handoff\.js$/ }, async (args) => {
      if (args.path !== HANDOFF) return undefined;
      return { contents: await replaceOnce(args.path, HANDOFF_IMPORT), loader: 'js' };
    });
    b.onLoad({ filter: /connection\.js$/ }, async (args) => {
      if (!args.path.endsWith(`${sep}${WS_REQUIRE.file}`)) return undefined;
      return { contents: await replaceOnce(args.path, WS_REQUIRE), loader: 'js' };
    });
  },
};

/** A compiled file's source with its one occurrence of `from` replaced; fails the build if there is not exactly one. */
async function replaceOnce(path: string, edit: { readonly from: string; readonly to: string }): Promise<string> {
  const source = await readFile(path, 'utf8');
  if (source.split(edit.from).length !== 2) throw new Error(`${path}: expected exactly one ${edit.from}; update scripts/bundle.ts`);
  return source.replace(edit.from, edit.to);
}

/**
 * Rewrites as \u escapes the few non-ASCII characters esbuild leaves in a bundle: only in the comments it
 * keeps, as it escapes them in code itself (its default ASCII charset), so nothing but comments changes.
 * One such character makes V8 hold the whole ~500 KiB source as a two-byte string,
 * decoded from UTF-8 character by character: measured, that doubled the time to read the bundle and to
 * check its code cache.
 */
async function asciiOnly(file: string): Promise<void> {
  const source = await readFile(file, 'utf8');
  const ascii = source.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== source) await writeFile(file, ascii);
}

/** The package an input file belongs to (`@scope/name` or `name`), or undefined for the workspace's own files. */
function packageOf(input: string): string | undefined {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(input);
  return m?.[1];
}

/** Fails the build when a package the client commands do not need, or a TypeScript source, made its way into the bundle. */
function assertContents(metafile: Metafile): void {
  const sources = Object.keys(metafile.inputs).filter((i) => i.endsWith('.ts'));
  if (sources.length > 0) throw new Error(`the bundle would hold TypeScript sources rather than the compiled dist/: ${sources.join(', ')}`);
  const strays = [...new Set(Object.keys(metafile.inputs).flatMap((i) => {
    const pkg = packageOf(i);
    return pkg !== undefined && !BUNDLED_PACKAGES.has(pkg) ? [pkg] : [];
  }))];
  if (strays.length > 0) throw new Error(`the bundle would hold ${strays.join(', ')}: import them lazily from a module that is handed off (see CLIENT_COMMAND_MODULES)`);
}

/**
 * `import.meta.url` in CommonJS: the URL of the bundle file it is in (both files sit in dist/bundle/, as
 * the modules that read it sit in dist/cli/). esbuild injects this module where the name is used.
 */
const IMPORT_META_SHIM = join(OUT_DIR, 'import-meta-url.shim.js');

await rm(OUT_DIR, { recursive: true, force: true });
await mkdir(OUT_DIR, { recursive: true });
await writeFile(IMPORT_META_SHIM, "export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;\n");
const result = await build({
  entryPoints: { main: join(DIST, 'cli', 'main.js') },
  // The same output (its path comments included) from the root's build and from the package's.
  absWorkingDir: PACKAGE_DIR,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outdir: OUT_DIR,
  outExtension: { '.js': '.cjs' },
  define: { 'import.meta.url': 'importMetaUrl' },
  inject: [IMPORT_META_SHIM],
  // msgpackr's optional native decoder: required at run time only when not switched off, and the client
  // commands switch it off (kv-io.ts's loadCommand).
  external: ['msgpackr-extract'],
  // The compiled JavaScript as it is (the workspace's tsconfig.json maps @halyard/* to the TypeScript sources).
  tsconfig: join(PACKAGE_DIR, 'tsconfig.build.json'),
  plugins: [halyardBundle],
  metafile: true,
  logLevel: 'warning',
});
assertContents(result.metafile);
await asciiOnly(join(OUT_DIR, 'main.cjs'));
// The loader the bin requires: src/cli/code-cache.ts and a call, on its own (it must not hold the bundle).
const loader = await build({
  stdin: { contents: `import { BUNDLE_PATH, runBundle } from ${JSON.stringify(CODE_CACHE)};\nrunBundle(BUNDLE_PATH);\n`, resolveDir: DIST, sourcefile: 'run.js' },
  absWorkingDir: PACKAGE_DIR,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outfile: join(OUT_DIR, 'run.cjs'),
  define: { 'import.meta.url': 'importMetaUrl' },
  inject: [IMPORT_META_SHIM],
  metafile: true,
  logLevel: 'warning',
});
const loaderInputs = Object.keys(loader.metafile.inputs).filter((i) => !i.endsWith('.shim.js') && !i.endsWith('run.js'));
if (loaderInputs.length !== 1) throw new Error(`the bundle's loader (run.cjs) would hold ${loaderInputs.join(', ')}: it imports node built-ins only`);
await rm(IMPORT_META_SHIM);
const outputs = [...Object.entries(result.metafile.outputs), ...Object.entries(loader.metafile.outputs)];
const bytes = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
console.log(`bundle: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB in ${relative(process.cwd(), OUT_DIR)}`);
