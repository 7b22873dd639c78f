// The version of the `halyard` CLI, from its package.json (the same file in the sources and in the
// published package: ../../package.json from src/cli and from dist/cli alike).
import { createRequire } from 'node:module';

export const CLI_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** etcdctl's `version` output: the tool's version and the API's major.minor. */
export function versionText(): string {
  return `halyard version: ${CLI_VERSION}\nAPI version: ${CLI_VERSION.split('.').slice(0, 2).join('.')}\n`;
}
