// How to start a Node component as its own process: the same build as the process starting it, as
// local-cluster.ts decides it — compiled `halyard` (dist/*.js) runs compiled entries with plain node, the
// sources (vitest, tsx in the repo) run the sources through tsx's loader.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UpError } from '../errors.ts';

export const COMPILED = import.meta.url.endsWith('.js');
const EXT = COMPILED ? '.js' : '.ts';
const GUARD = pathToFileURL(fileURLToPath(new URL(`./exit-with-parent${EXT}`, import.meta.url))).href;

export interface NodeCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/**
 * The command line that runs `script` with `args` on this Node; `guard` preloads exit-with-parent.ts
 * for components without an --exit-with-parent flag of their own.
 */
export function nodeCommand(script: string, args: readonly string[], guard: boolean): NodeCommand {
  // A TypeScript entry needs tsx's loader whatever this build is (a workspace package not compiled yet).
  const tsx = script.endsWith('.ts') || !COMPILED ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  return { command: process.execPath, args: [...tsx, ...(guard ? ['--import', GUARD] : []), script, ...args] };
}

/** The `halyard` CLI entry of this build (for `halyard kv member`). */
export const HALYARD_MAIN = resolve(fileURLToPath(new URL(`../../cli/main${EXT}`, import.meta.url)));

/** The controller replica entry (controllers/main.ts). */
export const CONTROLLER_MAIN = resolve(fileURLToPath(new URL(`../controllers/main${EXT}`, import.meta.url)));

/**
 * The apiserver entry of @halyard/apiserver, found where Node would find the package so it works in the
 * workspace and when installed: its TypeScript source `src/cli/main.ts` when this build runs from sources
 * (tsx) and the package has them, else its compiled `dist/cli/main.js`.
 */
export function apiserverMain(): string {
  const root = packageRoot('@halyard/apiserver');
  if (root === undefined) {
    // A development dependency for now: present in the Halyard workspace, absent where @halyard/cli was
    // installed from its tarball.
    throw new UpError('InvalidOptions', '`halyard up` needs @halyard/apiserver: run it from the Halyard workspace (pnpm start)');
  }
  const source = join(root, 'src', 'cli', 'main.ts');
  const compiled = join(root, 'dist', 'cli', 'main.js');
  if (!COMPILED && existsSync(source)) return source;
  if (existsSync(compiled)) return compiled;
  if (existsSync(source)) return source;
  throw new UpError('InvalidOptions', `no apiserver entry in ${root} (neither src/cli/main.ts nor dist/cli/main.js)`);
}

/**
 * The folder of package `name` as Node's lookup finds it (node_modules of this file's folder or an
 * ancestor's), whatever its `exports` allow to import: we need its files, not its entry.
 */
function packageRoot(name: string): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
