// Builds the `halyard` bin's bundle (dist/bundle/) from the compiled dist/ with esbuild: the command tree
// and the KV client commands, with commander, ws and msgpackr, in a few files. A short-lived command such
// as `halyard kv put` then makes Node resolve, read and compile a handful of files instead of ~90 (most of
// its own start-up cost above Node's). Code splitting keeps lazy commands lazy: `--help` loads no client.
//
// What the bundle holds is decided here, once: the client commands (CLIENT_COMMAND_MODULES). Every other
// module imported lazily (a member, local clusters, fuzzers, `up`, election, API server: LevelDB, native
// add-ons, child processes whose paths are computed from their own file's location) is replaced by
// handoff.ts, which re-runs the command line with the unbundled dist/cli/main.js. Members and clusters keep
// running dist/ as before.
//
// Run after tsc (the root `build` script does): tsx packages/cli/scripts/bundle.ts

import { build, type Metafile, type Plugin } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(PACKAGE_DIR, 'dist');
/** Two levels below the package like dist/cli/, so version.ts's `../../package.json` and handoff.ts's `../cli/main.js` hold. */
const OUT_DIR = join(DIST, 'bundle');

/** The lazily imported modules that the bundle holds: the implementations of the KV client commands. */
const CLIENT_COMMAND_MODULES: ReadonlySet<string> = new Set(['kv-process-io', 'kv-keys', 'kv-lease', 'kv-endpoint', 'kv-members', 'kv-maintenance'].map((m) => join(DIST, 'cli', `${m}.js`)));
const HANDOFF = join(DIST, 'cli', 'handoff.js');
/** The only third-party packages allowed in the bundle: what the client commands need, all plain JavaScript. */
const BUNDLED_PACKAGES: ReadonlySet<string> = new Set(['commander', 'ws', 'msgpackr']);

/**
 * kv-client requires ws through createRequire (see connection.ts), which esbuild cannot follow; in the
 * bundle it becomes a plain require, so ws is bundled rather than looked up next to the bundle at run time.
 */
const WS_REQUIRE = { file: join('kv-client', 'dist', 'client', 'connection.js'), from: "createRequire(import.meta.url)('ws')", to: "require('ws')" } as const;

const boundary: Plugin = {
  name: 'halyard-bundle-boundary',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      // Only our own lazy imports are a boundary; the bundled packages' own (if any) resolve as usual.
      if (args.kind !== 'dynamic-import' || args.pluginData === 'resolving' || packageOf(args.importer) !== undefined) return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: CLIENT_COMMAND_MODULES.has(resolved.path) ? resolved.path : HANDOFF };
    });
    b.onLoad({ filter: /connection\.js$/ }, async (args) => {
      if (!args.path.endsWith(`${sep}${WS_REQUIRE.file}`)) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (source.split(WS_REQUIRE.from).length !== 2) throw new Error(`${args.path}: expected exactly one ${WS_REQUIRE.from}; update scripts/bundle.ts`);
      return { contents: source.replace(WS_REQUIRE.from, WS_REQUIRE.to), loader: 'js' };
    });
  },
};

/** The package an input file belongs to (`@scope/name` or `name`), or undefined for the workspace's own files. */
function packageOf(input: string): string | undefined {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(input);
  return m?.[1];
}

/** Fails the build when a package the client commands do not need made its way into the bundle. */
function assertContents(metafile: Metafile): void {
  const strays = [...new Set(Object.keys(metafile.inputs).flatMap((i) => {
    const pkg = packageOf(i);
    return pkg !== undefined && !BUNDLED_PACKAGES.has(pkg) ? [pkg] : [];
  }))];
  if (strays.length > 0) throw new Error(`the bundle would hold ${strays.join(', ')}: import them lazily from a module that is handed off (see CLIENT_COMMAND_MODULES)`);
}

await rm(OUT_DIR, { recursive: true, force: true });
const result = await build({
  entryPoints: { main: join(DIST, 'cli', 'main.js') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: OUT_DIR,
  chunkNames: '[name]-[hash]',
  // msgpackr's optional native decoder: required at run time only when not switched off, and the client
  // commands switch it off (kv-io.ts's loadCommand).
  external: ['msgpackr-extract'],
  // The bundled CommonJS packages (commander, ws, msgpackr) call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __halyardCreateRequire } from 'node:module';\nconst require = __halyardCreateRequire(import.meta.url);" },
  plugins: [boundary],
  metafile: true,
  logLevel: 'warning',
});
assertContents(result.metafile);
const outputs = Object.entries(result.metafile.outputs);
const bytes = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
console.log(`bundle: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB in ${relative(process.cwd(), OUT_DIR) || OUT_DIR}`);
