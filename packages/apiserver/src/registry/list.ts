// LIST of a resource: one namespace or all, label and field selectors, and pages of `limit` objects that
// all read the same revision (the continue token carries it), as kube-apiserver's etcd3 store does.
import { decodeContinue, encodeContinue } from '../api/continue-token.ts';
import type { FieldSelector } from '../api/field-selector.ts';
import type { JsonObject } from '../api/json.ts';
import type { LabelSelector } from '../api/label-selector.ts';
import { meta, type ApiObject } from '../api/object.ts';
import { errors } from '../api/status.ts';
import { listPrefix } from '../storage/keys.ts';
import { StorageError, type Storage } from '../storage/storage.ts';
import { decodeObject } from './codec.ts';
import { apiVersionOf, listKindOf, type ResourceDefinition } from './resource.ts';
import { toApiError } from './storage-errors.ts';

/** Bound on storage reads one list request may make while a selector filters most objects out. */
export const LIST_STORAGE_READS_MAX = 1000;
/** Objects read per storage call when a selector filters (a bound on memory per read). */
export const LIST_SCAN_BATCH = 500;

export interface ListRequest {
  readonly namespace: string;
  readonly labelSelector: LabelSelector;
  readonly fieldSelector: FieldSelector;
  /** 0 = no limit. */
  readonly limit: number;
  readonly continueToken?: string;
  /** As sent: undefined, '0' or a revision. */
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: 'NotOlderThan' | 'Exact';
}

export interface ListResponse {
  readonly items: ApiObject[];
  readonly revision: number;
  readonly continueToken?: string;
  readonly remainingItemCount?: number;
}

/** The values field selectors read from an object. */
export function selectableFields(def: ResourceDefinition, obj: ApiObject): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.name': meta.name(obj) };
  if (def.namespaced) fields['metadata.namespace'] = meta.namespace(obj);
  for (const [f, read] of Object.entries(def.extraFieldSelectors ?? {})) fields[f] = read(obj);
  return fields;
}

export function supportedFieldSelectors(def: ResourceDefinition): string[] {
  return ['metadata.name', ...(def.namespaced ? ['metadata.namespace'] : []), ...Object.keys(def.extraFieldSelectors ?? {})];
}

export function matchesSelectors(def: ResourceDefinition, obj: ApiObject, labels: LabelSelector, fields: FieldSelector): boolean {
  return (labels.isEverything || labels.matches(meta.labels(obj))) && (fields.isEverything || fields.matches(selectableFields(def, obj)));
}

/** A resourceVersion parameter as a revision: '' → undefined, digits → number, anything else 400. */
export function parseResourceVersion(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d{1,15}$/.test(rv)) throw errors.badRequest(`invalid resource version "${rv}": must be a non-negative integer`);
  return Number(rv);
}

export async function listObjects(storage: Storage, def: ResourceDefinition, req: ListRequest): Promise<ListResponse> {
  const prefix = listPrefix(def.plural, def.namespaced ? req.namespace : '');
  let revision = 0;
  let startKey = prefix;
  let requested: number | undefined;
  let fromContinue = false;
  const rv = parseResourceVersion(req.resourceVersion);
  if (req.continueToken !== undefined && req.continueToken !== '') {
    if (rv !== undefined && rv !== 0) throw errors.badRequest('specifying resource version is not allowed when using continue');
    const token = decodeContinue(req.continueToken);
    revision = token.revision;
    startKey = prefix + token.startKey;
    requested = token.revision;
    fromContinue = true;
  } else if (req.resourceVersionMatch === 'Exact' || (req.resourceVersionMatch === undefined && req.limit > 0 && rv !== undefined && rv > 0)) {
    // Exact: this snapshot and no other (kube-apiserver's semantics for a paged list with a resourceVersion).
    if (rv === undefined || rv === 0) throw errors.badRequest('resourceVersionMatch=Exact requires a non-zero resourceVersion');
    revision = rv;
    requested = rv;
  } else {
    requested = rv;
  }

  const items: ApiObject[] = [];
  const filtering = !req.labelSelector.isEverything || !req.fieldSelector.isEverything;
  const pageLimit = req.limit > 0 ? (filtering ? Math.max(req.limit, LIST_SCAN_BATCH) : req.limit) : 0;
  for (let reads = 0; reads < LIST_STORAGE_READS_MAX; reads++) {
    let page;
    try {
      page = await storage.list(prefix, { startKey, revision, limit: pageLimit });
    } catch (err) {
      if (err instanceof StorageError && err.code === 'Compacted' && fromContinue) {
        throw errors.expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      throw toApiError(err, requested);
    }
    if (revision === 0) {
      revision = page.revision;
      // NotOlderThan: the read is linearizable, so it is at least as new as anything the client saw —
      // unless the client names a revision this store has not reached.
      if (requested !== undefined && requested > revision) throw errors.timeout(`Too large resource version: ${requested}, current: ${revision}`);
    }
    for (let i = 0; i < page.objects.length; i++) {
      const kv = page.objects[i]!;
      const obj = decodeObject(kv.value, kv.modRevision, kv.key);
      if (!matchesSelectors(def, obj, req.labelSelector, req.fieldSelector)) continue;
      items.push(obj);
      if (req.limit > 0 && items.length === req.limit) {
        const more = i < page.objects.length - 1 || page.more;
        if (!more) return { items, revision };
        return {
          items,
          revision,
          continueToken: encodeContinue({ revision, startKey: `${kv.key.slice(prefix.length)}\u0000` }),
          ...(filtering ? {} : { remainingItemCount: page.count - (i + 1) }),
        };
      }
    }
    const last = page.objects[page.objects.length - 1];
    if (!page.more || last === undefined) return { items, revision };
    startKey = `${last.key}\u0000`;
  }
  throw errors.timeout(`list scanned ${LIST_STORAGE_READS_MAX} pages without filling a page of ${req.limit}; narrow the selector`);
}

/** The List object (ConfigMapList …) of a response. */
export function listObject(def: ResourceDefinition, r: ListResponse): JsonObject {
  const metadata: JsonObject = { resourceVersion: String(r.revision) };
  if (r.continueToken !== undefined) metadata['continue'] = r.continueToken;
  if (r.remainingItemCount !== undefined) metadata['remainingItemCount'] = r.remainingItemCount;
  return { kind: listKindOf(def), apiVersion: apiVersionOf(def), metadata, items: r.items };
}
