// First start: the namespaces every cluster has (default, kube-system). Any replica may do it; creating one
// that exists is harmless (AlreadyExists), so replicas starting together need no coordination.
import { ApiError } from './api/status.ts';
import { SYSTEM_NAMESPACES, namespaces } from './registry/builtin/namespaces.ts';
import type { ObjectStore } from './registry/store.ts';

/** Creates the system namespaces that do not exist yet. Storage errors propagate (the caller retries). */
export async function ensureSystemNamespaces(store: ObjectStore): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await store.create(namespaces, '', { metadata: { name } }, { dryRun: false, fieldValidation: 'Strict' });
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
  }
}
