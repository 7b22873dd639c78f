// Only in the bundled bin (dist/bundle/, built by scripts/bundle.ts): this module stands in for every
// module that a command imports lazily and that the bundle does not hold — a member, a local cluster, the
// fuzzers, `up`, the election and API server commands. Importing it runs the whole command line again
// with the unbundled program (dist/cli/main.js: the compiled sources, with their own module instances, so
// no class or error is ever shared between the two copies), and never settles, so the bundle's own run of
// the command stops where it stood. Nothing observable has happened by then: each of these actions imports
// its implementation before it prints or starts anything, and main.ts has no top-level await to leave
// unsettled (Node would exit 13). Running from the sources (tsx) never loads this module.

/** dist/cli/main.js, seen from dist/bundle/ (bundle chunks sit at the same depth as dist/cli/). */
const UNBUNDLED_MAIN = new URL('../cli/main.js', import.meta.url);

await import(UNBUNDLED_MAIN.href);
await new Promise<never>(() => {});

export {};
