// Discovery documents (/api, /apis, /apis/<group>, /api/v1, /apis/<group>/<version>) in the legacy,
// unaggregated form: client-go asks for the aggregated form first and falls back to these when the
// response's Content-Type is plain application/json.
import { createHash } from 'node:crypto';
import type { Json, JsonObject } from '../api/json.ts';
import type { GroupVersion, ResourceRegistry } from '../registry/registry.ts';
import type { ResourceDefinition } from '../registry/resource.ts';

/** Verbs every registered resource supports (no deletecollection). */
export const RESOURCE_VERBS: readonly string[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function gvString(gv: GroupVersion): string {
  return gv.group === '' ? gv.version : `${gv.group}/${gv.version}`;
}

/** /api: the core group's versions. `serverAddress` is the host:port the client reached. */
export function apiVersions(serverAddress: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(registry: ResourceRegistry, group: string): JsonObject {
  const versions = registry.groupVersions().filter((gv) => gv.group === group).map((gv) => ({ groupVersion: gvString(gv), version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0]! };
}

/** /apis: every named group (the core group is under /api). */
export function apiGroupList(registry: ResourceRegistry): JsonObject {
  const groups = [...new Set(registry.groupVersions().map((gv) => gv.group))].filter((g) => g !== '');
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => apiGroup(registry, g)) };
}

/** /apis/<group>, or undefined when the group is not served. */
export function apiGroupDocument(registry: ResourceRegistry, group: string): JsonObject | undefined {
  if (!registry.groupVersions().some((gv) => gv.group === group)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(registry, group) };
}

function apiResource(def: ResourceDefinition): JsonObject {
  const r: JsonObject = {
    name: def.plural,
    singularName: def.singular,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: [...RESOURCE_VERBS],
  };
  if (def.shortNames.length > 0) r['shortNames'] = [...def.shortNames] as Json[];
  // A hash of what the resource is stored as; clients only compare it for changes.
  r['storageVersionHash'] = createHash('sha256').update(`${def.group}/${def.version}/${def.kind}`).digest('base64').slice(0, 11);
  return r;
}

/** /api/v1 or /apis/<group>/<version>, or undefined when not served. */
export function apiResourceList(registry: ResourceRegistry, gv: GroupVersion): JsonObject | undefined {
  const defs = registry.resourcesOf(gv);
  if (defs.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gvString(gv), resources: defs.map(apiResource) };
}
