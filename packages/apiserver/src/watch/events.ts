// Storage changes as Kubernetes watch events. With selectors, an object that stops matching is a DELETED
// event and one that starts matching an ADDED event (kube-apiserver's filtering of watch events); a deleted
// object is sent as it was last stored, with the resourceVersion of the deletion.
import type { FieldSelector } from '../api/field-selector.ts';
import type { JsonObject } from '../api/json.ts';
import type { LabelSelector } from '../api/label-selector.ts';
import { metadataOf, type ApiObject } from '../api/object.ts';
import { decodeObject } from '../registry/codec.ts';
import { matchesSelectors } from '../registry/list.ts';
import { apiVersionOf, type ResourceDefinition } from '../registry/resource.ts';
import type { StorageEvent } from '../storage/storage.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: JsonObject;
}

export interface EventFilter {
  readonly def: ResourceDefinition;
  readonly labelSelector: LabelSelector;
  readonly fieldSelector: FieldSelector;
}

/** The watch event a storage change is for this watcher, or undefined when it does not concern it. */
export function toWatchEvent(e: StorageEvent, f: EventFilter): WatchEvent | undefined {
  const matches = (o: ApiObject | undefined): boolean => o !== undefined && matchesSelectors(f.def, o, f.labelSelector, f.fieldSelector);
  const prev = e.prevValue === undefined ? undefined : decodeObject(e.prevValue, e.modRevision, e.key);
  if (e.type === 'delete') {
    if (prev === undefined) return { type: 'DELETED', object: tombstone(f.def, e.key, e.modRevision) };
    return matches(prev) ? { type: 'DELETED', object: prev } : undefined;
  }
  const cur = decodeObject(e.value, e.modRevision, e.key);
  const curMatches = matches(cur);
  if (prev === undefined) return curMatches ? { type: 'ADDED', object: cur } : undefined;
  const prevMatches = matches(prev);
  if (curMatches) return { type: prevMatches ? 'MODIFIED' : 'ADDED', object: cur };
  return prevMatches ? { type: 'DELETED', object: prev } : undefined;
}

/** A deleted object whose last value storage no longer has (its previous value was compacted): name only. */
function tombstone(def: ResourceDefinition, key: string, revision: number): JsonObject {
  const parts = key.split('/');
  const name = parts[parts.length - 1] ?? '';
  const metadata: JsonObject = { name, resourceVersion: String(revision) };
  if (def.namespaced) metadata['namespace'] = parts[parts.length - 2] ?? '';
  return { apiVersion: apiVersionOf(def), kind: def.kind, metadata };
}

/** The annotation kube-apiserver puts on the bookmark that ends the initial events of a `sendInitialEvents` watch. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

/** A BOOKMARK event: only the kind and the resourceVersion everything before has been sent up to. */
export function bookmarkEvent(def: ResourceDefinition, revision: number, initialEventsEnd = false): WatchEvent {
  const object: JsonObject = { kind: def.kind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(revision) } };
  if (initialEventsEnd) metadataOf(object)['annotations'] = { [INITIAL_EVENTS_END_ANNOTATION]: 'true' };
  return { type: 'BOOKMARK', object };
}
