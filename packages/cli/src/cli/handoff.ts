// Only in the bundled bin (dist/bundle/, built by scripts/bundle.ts): this module stands in for every
// module that a command imports lazily and that the bundle does not hold — a member, a local cluster, the
// fuzzers, `up`, the election and API server commands. Importing it runs the whole command line again
// with the unbundled program (dist/cli/main.js: the compiled sources, with their own module instances, so
// no class or error is ever shared between the two copies), and the import never settles, so the bundle's
// own run of the command stops where it stood. Nothing observable has happened by then: each of these
// actions imports its implementation before it prints or starts anything, and main.ts has no top-level
// await to leave unsettled (Node would exit 13). Running from the sources (tsx) never loads this module.
//
// How it never settles: the module exports `then`, so its namespace object is a thenable, and a promise
// resolved with a thenable adopts it (ECMAScript's promise resolve functions call `then`). The same holds
// for the bundle's CommonJS form, whose dynamic import resolves with this module's exports. A failure to load
// the unbundled program rejects the import, which the command reports as any other failure.

/** dist/cli/main.js, seen from dist/bundle/ (the bundle sits at the same depth as dist/cli/). */
const UNBUNDLED_MAIN = new URL('../cli/main.js', import.meta.url);

/** Runs the unbundled program; resolves nothing (the importing action waits for good), rejects if it cannot load. */
export function then(_resolve: (value: never) => void, reject: (reason: unknown) => void): void {
  import(UNBUNDLED_MAIN.href).then(() => undefined, reject);
}
