// TypeScript 7 (the native compiler this repo type-checks with) ships no JavaScript compiler API. StrykerJS
// drives the compiler through that API: its TypeScript checker (a peer dependency) and its core's tsconfig
// preprocessor (an undeclared import). So those two get TypeScript 5.9 as their own dependency instead of
// the workspace's TypeScript. (A pnpm `overrides` entry does not reach peer dependencies, hence this hook.)
const STRYKER_TYPESCRIPT = '5.9.3';

module.exports = {
  hooks: {
    readPackage(pkg) {
      if (pkg.name === '@stryker-mutator/typescript-checker' || pkg.name === '@stryker-mutator/core') {
        if (pkg.peerDependencies !== undefined) delete pkg.peerDependencies.typescript;
        pkg.dependencies = { ...pkg.dependencies, typescript: STRYKER_TYPESCRIPT };
      }
      return pkg;
    },
  },
};
