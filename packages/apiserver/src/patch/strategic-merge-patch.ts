// Strategic merge patch as kubectl's client-side apply and `kubectl patch` send it
// (k8s.io/apimachinery/pkg/util/strategicpatch): maps merge and null deletes as in a merge patch, but lists
// declared with patchStrategy `merge` merge — by their patchMergeKey for lists of objects, as a set for lists
// of scalars — and the `$patch`, `$retainKeys`, `$setElementOrder/…` and `$deleteFromPrimitiveList/…`
// directives are honoured. Lists without a strategy are replaced. The strategies come from the schema.
import { cloneJson, isJsonObject, jsonEqual, type Json, type JsonObject } from '../api/json.ts';
import { errors } from '../api/status.ts';
import type { FieldSchema } from '../registry/schema.ts';

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';

/** Applies `patch` to `original` (neither is mutated). Throws a 400 ApiError for a malformed directive. */
export function applyStrategicMergePatch(original: JsonObject, patch: JsonObject, schema: FieldSchema): JsonObject {
  const out = mergeMap(original, patch, schema);
  if (out === undefined) throw errors.badRequest('a strategic merge patch may not delete the whole object');
  return out;
}

function childSchema(schema: FieldSchema | undefined, key: string): FieldSchema | undefined {
  if (schema === undefined) return undefined;
  if (schema.type === 'object') return schema.properties[key];
  if (schema.type === 'map') return schema.values;
  return undefined;
}

function mergeMap(original: JsonObject, patch: JsonObject, schema: FieldSchema | undefined): JsonObject | undefined {
  const directive = patch[PATCH];
  if (directive !== undefined) {
    if (directive === 'replace') return stripDirectives(withoutKey(patch, PATCH)) as JsonObject;
    if (directive === 'delete') return undefined;
    throw errors.badRequest(`unknown patch type: ${JSON.stringify(directive)} in map`);
  }
  const out: JsonObject = { ...original };
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) throw errors.badRequest(`${RETAIN_KEYS} must be a list of strings`);
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  // Deletions from primitive lists apply to the original list before the patch's own entries merge in.
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith(DELETE_FROM_PRIMITIVE)) continue;
    const field = k.slice(DELETE_FROM_PRIMITIVE.length);
    if (!Array.isArray(v)) throw errors.badRequest(`${k} must be a list`);
    const cur = out[field];
    if (Array.isArray(cur)) out[field] = cur.filter((x) => !v.some((d) => jsonEqual(d, x)));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_FROM_PRIMITIVE)) continue;
    const fieldSchema = childSchema(schema, k);
    if (v === null) {
      delete out[k];
    } else if (isJsonObject(v)) {
      const merged = mergeMap(isJsonObject(out[k]) ? (out[k] as JsonObject) : {}, v, fieldSchema);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) {
      out[k] = fieldSchema?.type === 'array' && fieldSchema.patchStrategy === 'merge' ? mergeList(Array.isArray(out[k]) ? (out[k] as Json[]) : [], v, fieldSchema) : (stripDirectives(v) as Json[]);
    } else {
      out[k] = v;
    }
  }
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith(SET_ORDER)) continue;
    const field = k.slice(SET_ORDER.length);
    if (!Array.isArray(v)) throw errors.badRequest(`${k} must be a list`);
    const cur = out[field];
    const fieldSchema = childSchema(schema, field);
    if (Array.isArray(cur)) out[field] = reorder(cur, v, fieldSchema?.type === 'array' ? fieldSchema.patchMergeKey : undefined);
  }
  return out;
}

function mergeList(original: readonly Json[], patch: readonly Json[], schema: Extract<FieldSchema, { type: 'array' }>): Json[] {
  // A `{"$patch": "replace"}` element replaces the whole list with the patch's other elements.
  if (patch.some((e) => isJsonObject(e) && e[PATCH] === 'replace')) {
    return stripDirectives(patch.filter((e) => !(isJsonObject(e) && e[PATCH] === 'replace'))) as Json[];
  }
  const key = schema.patchMergeKey;
  if (key === undefined) {
    // A set of scalars: union, original order first.
    const out = [...original];
    for (const e of patch) if (!out.some((x) => jsonEqual(x, e))) out.push(cloneJson(e));
    return out;
  }
  const out: Json[] = original.map((x) => x);
  for (const e of patch) {
    if (!isJsonObject(e)) throw errors.badRequest(`list items must be objects with the merge key "${key}"`);
    const id = e[key];
    if (id === undefined) throw errors.badRequest(`a list item is missing the merge key "${key}"`);
    const at = out.findIndex((x) => isJsonObject(x) && jsonEqual(x[key], id));
    if (e[PATCH] === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) {
      const merged = mergeMap(out[at] as JsonObject, e, schema.items);
      if (merged === undefined) out.splice(at, 1);
      else out[at] = merged;
    } else out.push(stripDirectives(e));
  }
  return out;
}

/** Orders `list` as `order` gives (by merge key, or by value for scalars); items not named keep their place after. */
function reorder(list: readonly Json[], order: readonly Json[], mergeKey: string | undefined): Json[] {
  const idOf = (x: Json): Json | undefined => (mergeKey !== undefined && isJsonObject(x) ? x[mergeKey] : x);
  const orderIds = order.map((o) => (mergeKey !== undefined && isJsonObject(o) ? o[mergeKey] : o));
  const rank = (x: Json): number => {
    const id = idOf(x);
    const i = orderIds.findIndex((o) => id !== undefined && jsonEqual(o ?? null, id));
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return list
    .map((x, i) => ({ x, i }))
    .sort((a, b) => rank(a.x) - rank(b.x) || a.i - b.i)
    .map((e) => e.x);
}

function withoutKey(o: JsonObject, key: string): JsonObject {
  const { [key]: _dropped, ...rest } = o;
  return rest;
}

/** A copy of `v` without any directive keys (values inserted as-is must not keep them). */
function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.filter((e) => !(isJsonObject(e) && Object.keys(e).length === 1 && e[PATCH] !== undefined)).map(stripDirectives);
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === PATCH || k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_FROM_PRIMITIVE)) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}
