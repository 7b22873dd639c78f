// Accessors for the metadata of objects kept as JSON. Objects are validated before they are stored, so
// reads here trust the shapes the schema guarantees and fall back to empty values otherwise.
import { isJsonObject, type Json, type JsonObject } from './json.ts';

/** A Kubernetes object as JSON: apiVersion, kind, metadata and kind-specific fields. */
export type ApiObject = JsonObject;

export function metadataOf(obj: ApiObject): JsonObject {
  const m = obj['metadata'];
  if (isJsonObject(m)) return m;
  const fresh: JsonObject = {};
  obj['metadata'] = fresh;
  return fresh;
}

function metaString(obj: ApiObject, field: string): string {
  const m = obj['metadata'];
  if (!isJsonObject(m)) return '';
  const v = m[field];
  return typeof v === 'string' ? v : '';
}

export const meta = {
  name: (obj: ApiObject): string => metaString(obj, 'name'),
  namespace: (obj: ApiObject): string => metaString(obj, 'namespace'),
  uid: (obj: ApiObject): string => metaString(obj, 'uid'),
  resourceVersion: (obj: ApiObject): string => metaString(obj, 'resourceVersion'),
  generateName: (obj: ApiObject): string => metaString(obj, 'generateName'),
  creationTimestamp: (obj: ApiObject): string => metaString(obj, 'creationTimestamp'),
  labels(obj: ApiObject): Record<string, string> {
    const m = obj['metadata'];
    const l = isJsonObject(m) ? m['labels'] : undefined;
    if (!isJsonObject(l)) return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(l)) if (typeof v === 'string') out[k] = v;
    return out;
  },
};

/** Reads a nested field (`spec.holderIdentity`) or undefined. */
export function fieldAt(obj: JsonObject, path: readonly string[]): Json | undefined {
  let cur: Json | undefined = obj;
  for (const p of path) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Number of entries of a map field, 0 when absent. */
export function mapSize(v: Json | undefined): number {
  return isJsonObject(v) ? Object.keys(v).length : 0;
}
