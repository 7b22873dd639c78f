// The resources this apiserver serves out of the box.
import type { ResourceDefinition } from '../resource.ts';
import { configMaps } from './configmaps.ts';
import { leases } from './leases.ts';
import { namespaces } from './namespaces.ts';
import { secrets } from './secrets.ts';

export const BUILTIN_RESOURCES: readonly ResourceDefinition[] = [namespaces, configMaps, secrets, leases];
export { configMaps, leases, namespaces, secrets };
export { SYSTEM_NAMESPACES, NAMESPACE_NAME_LABEL } from './namespaces.ts';
