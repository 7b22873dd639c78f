// /version: kubectl compares the server's minor version with its own (it warns beyond one minor of skew),
// so Halyard reports the Kubernetes API version whose semantics it follows.
import type { JsonObject } from '../api/json.ts';

export const KUBERNETES_MAJOR = '1';
export const KUBERNETES_MINOR = '32';
export const HALYARD_VERSION = '0.1.0';

export function versionInfo(): JsonObject {
  return {
    major: KUBERNETES_MAJOR,
    minor: KUBERNETES_MINOR,
    gitVersion: `v${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}.0-halyard.${HALYARD_VERSION}`,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsx',
    platform: `${process.platform}/${process.arch}`,
  };
}
