// The generic object store (kube-apiserver's genericregistry.Store, much reduced): create, get, update,
// patch and delete of any registered resource over the Storage seam. The rules live here once:
// resourceVersion is the storage mod revision, every write is conditional on it, a PUT or patch carrying a
// stale resourceVersion is a 409 Conflict, and updates without one retry on conflict (GuaranteedUpdate).
import { randomUUID } from 'node:crypto';
import { isJsonObject, jsonEqual, type Json, type JsonObject } from '../api/json.ts';
import { meta, metadataOf, type ApiObject } from '../api/object.ts';
import { DNS1123_LABEL_MAX_LENGTH, DNS1123_SUBDOMAIN_MAX_LENGTH } from '../api/names.ts';
import { ApiError, errors, successStatus, type FieldError } from '../api/status.ts';
import { applyPatch, checkPatchDocument, type PatchType } from '../patch/apply-patch.ts';
import { listPrefix, objectKey } from '../storage/keys.ts';
import type { Storage, StoredObject, WriteOutcome } from '../storage/storage.ts';
import { admitBody, generateName } from './admit.ts';
import { decodeObject, encodeObject } from './codec.ts';
import type { FieldValidation } from './decode.ts';
import { SYSTEM_NAMESPACES, namespaces as namespaceResource } from './builtin/namespaces.ts';
import type { ResourceRegistry } from './registry.ts';
import { groupResourceOf, type ResourceDefinition } from './resource.ts';
import { toApiError } from './storage-errors.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './validate-meta.ts';

/**
 * Attempts of an update/patch/delete without a resourceVersion precondition that lose the race to a
 * concurrent writer. kube-apiserver retries until its request deadline; a bound turns a pathological hot
 * key into a 409 instead of a spinning request.
 */
export const GUARANTEED_UPDATE_ATTEMPTS_MAX = 16;

export interface WriteOptions {
  readonly dryRun: boolean;
  readonly fieldValidation: FieldValidation;
}

export interface WriteResult {
  readonly object: ApiObject;
  readonly warnings: readonly string[];
}

export interface DeleteRequest {
  readonly dryRun: boolean;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
}

export interface StoreClock {
  /** Wall-clock now, for creationTimestamp. */
  now(): Date;
  newUid(): string;
  /** In [0, 1), for generateName suffixes. */
  random(): number;
}

export const systemClock: StoreClock = { now: () => new Date(), newUid: () => randomUUID(), random: Math.random };

/** metav1.Time: RFC 3339 in UTC, whole seconds. */
export function formatTime(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

export class ObjectStore {
  constructor(
    readonly storage: Storage,
    readonly registry: ResourceRegistry,
    private readonly clock: StoreClock = systemClock,
  ) {}

  /** GET of one object. */
  async get(def: ResourceDefinition, namespace: string, name: string): Promise<ApiObject> {
    const key = objectKey(def.plural, namespace, name);
    const r = await this.storage.get(key).catch((e: unknown) => Promise.reject(toApiError(e)));
    if (r.object === undefined) throw errors.notFound(groupResourceOf(def), name);
    return decodeObject(r.object.value, r.object.modRevision, key);
  }

  /** POST to a collection: 201 with the stored object. */
  async create(def: ResourceDefinition, namespace: string, body: Json, options: WriteOptions): Promise<WriteResult> {
    const { object: obj, warnings } = admitBody(def, body, { namespace }, options.fieldValidation);
    const m = metadataOf(obj);
    if (meta.name(obj) === '' && meta.generateName(obj) !== '') {
      m['name'] = generateName(meta.generateName(obj), def.nameRule === 'dns1123Label' ? DNS1123_LABEL_MAX_LENGTH : DNS1123_SUBDOMAIN_MAX_LENGTH, this.clock.random);
    }
    // System fields are the server's: whatever the client sent is replaced.
    m['uid'] = this.clock.newUid();
    m['creationTimestamp'] = formatTime(this.clock.now());
    for (const f of ['resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'managedFields', 'generation']) delete m[f];
    def.prepareForCreate?.(obj);
    this.validate(def, obj, [...validateObjectMeta(def, obj), ...def.validate(obj)]);

    const name = meta.name(obj);
    const ns = def.namespaced ? meta.namespace(obj) : '';
    if (options.dryRun) return { object: obj, warnings };
    const nsKey = def.namespaced ? objectKey(namespaceResource.plural, '', ns) : undefined;
    const outcome = await this.write(() => this.storage.create(objectKey(def.plural, ns, name), encodeObject(obj), nsKey === undefined ? [] : [nsKey]));
    if (!outcome.ok) {
      // The namespace check comes first, as kube-apiserver's NamespaceLifecycle admission runs before storage.
      if (outcome.missing.length > 0) throw errors.notFound(groupResourceOf(namespaceResource), ns);
      throw errors.alreadyExists(groupResourceOf(def), name);
    }
    m['resourceVersion'] = String(outcome.revision);
    return { object: obj, warnings };
  }

  /** PUT of a whole object. No create-on-update: a missing object is a 404, as for the built-in kinds. */
  async update(def: ResourceDefinition, namespace: string, name: string, body: Json, options: WriteOptions): Promise<WriteResult> {
    const { object: obj, warnings } = admitBody(def, body, { namespace, name }, options.fieldValidation);
    // A resourceVersion in the body is a precondition; without one the update is unconditional.
    const precondition = meta.resourceVersion(obj);
    const object = await this.guaranteedUpdate(def, namespace, name, options.dryRun, () => ({ desired: structuredClone(obj), precondition }));
    return { object, warnings };
  }

  /** PATCH: the patch is applied to the current object on every attempt. */
  async patch(def: ResourceDefinition, namespace: string, name: string, type: PatchType, patch: Json, options: WriteOptions): Promise<WriteResult> {
    checkPatchDocument(type, patch);
    let warnings: readonly string[] = [];
    const object = await this.guaranteedUpdate(def, namespace, name, options.dryRun, (current) => {
      const patched = applyPatch(type, current, patch, def.schema);
      if (!isJsonObject(patched)) throw errors.badRequest('the patched object is not a JSON object');
      // A patch may not change what the URL names: kind, apiVersion, namespace, name.
      const admitted = admitBody(def, patched, { namespace, name }, options.fieldValidation);
      warnings = admitted.warnings;
      // The patch was applied to an object carrying the current resourceVersion: only a patch that sets a
      // different one pins it (and then fails as stale, now or after a lost race).
      const rv = meta.resourceVersion(admitted.object);
      return { desired: admitted.object, precondition: rv === meta.resourceVersion(current) ? '' : rv };
    });
    return { object, warnings };
  }

  /**
   * Read, compute the new object, write conditionally on the read's mod revision; on losing a race, read
   * again unless the caller pinned a resourceVersion (then the race is the client's 409).
   */
  private async guaranteedUpdate(def: ResourceDefinition, namespace: string, name: string, dryRun: boolean, compute: (current: ApiObject) => { readonly desired: ApiObject; readonly precondition: string }): Promise<ApiObject> {
    const gr = groupResourceOf(def);
    const key = objectKey(def.plural, namespace, name);
    let read = await this.read(key);
    for (let attempt = 1; ; attempt++) {
      if (read === undefined) throw errors.notFound(gr, name);
      const current = decodeObject(read.value, read.modRevision, key);
      const { desired, precondition } = compute(structuredClone(current));
      const pinned = precondition !== '';
      if (pinned && precondition !== String(read.modRevision)) throw errors.staleResourceVersion(gr, name);
      const wantedUid = meta.uid(desired);
      if (wantedUid !== '' && wantedUid !== meta.uid(current)) {
        throw errors.conflict(gr, name, `Precondition failed: UID in precondition: ${wantedUid}, UID in object meta: ${meta.uid(current)}`);
      }
      const next = this.prepareUpdate(def, desired, current);
      if (isNoop(next, current)) return current;
      if (dryRun) return next;
      const outcome = await this.write(() => this.storage.update(key, encodeObject(next), read!.modRevision));
      if (outcome.ok) {
        metadataOf(next)['resourceVersion'] = String(outcome.revision);
        return next;
      }
      if (pinned || attempt >= GUARANTEED_UPDATE_ATTEMPTS_MAX) throw errors.staleResourceVersion(gr, name);
      read = outcome.current;
    }
  }

  private prepareUpdate(def: ResourceDefinition, desired: ApiObject, current: ApiObject): ApiObject {
    const m = metadataOf(desired);
    const old = metadataOf(current);
    // System fields keep their stored values whatever the client sent (kube-apiserver's FillObjectMetaSystemFields on update).
    for (const f of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds']) {
      if (old[f] === undefined) delete m[f];
      else m[f] = old[f]!;
    }
    for (const f of ['selfLink', 'managedFields', 'generation']) delete m[f];
    delete m['resourceVersion'];
    def.prepareForUpdate?.(desired, current);
    this.validate(def, desired, [...validateObjectMeta(def, desired), ...def.validate(desired), ...validateObjectMetaUpdate(desired, current), ...(def.validateUpdate?.(desired, current) ?? [])]);
    return desired;
  }

  /** DELETE: 200 with a Success Status. Deleting a namespace deletes everything in it in the same txn. */
  async delete(def: ResourceDefinition, namespace: string, name: string, request: DeleteRequest): Promise<JsonObject> {
    const gr = groupResourceOf(def);
    if (def === namespaceResource && SYSTEM_NAMESPACES.includes(name)) throw errors.forbiddenBecause(gr, name, 'this namespace may not be deleted');
    const key = objectKey(def.plural, namespace, name);
    const alsoDelete = def === namespaceResource ? this.registry.definitions.filter((d) => d.namespaced).map((d) => listPrefix(d.plural, name)) : [];
    let read = await this.read(key);
    for (let attempt = 1; ; attempt++) {
      if (read === undefined) throw errors.notFound(gr, name);
      const current = decodeObject(read.value, read.modRevision, key);
      const pre = request.preconditions;
      if (pre?.uid !== undefined && pre.uid !== meta.uid(current)) {
        throw errors.conflict(gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid(current)}`);
      }
      if (pre?.resourceVersion !== undefined && pre.resourceVersion !== String(read.modRevision)) {
        throw errors.conflict(gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${read.modRevision}`);
      }
      if (request.dryRun) return successStatus({ name, group: def.group, kind: def.plural, uid: meta.uid(current) });
      const outcome = await this.write(() => this.storage.delete(key, read!.modRevision, alsoDelete));
      if (outcome.ok) return successStatus({ name, group: def.group, kind: def.plural, uid: meta.uid(current) });
      if (pre?.resourceVersion !== undefined || attempt >= GUARANTEED_UPDATE_ATTEMPTS_MAX) throw errors.staleResourceVersion(gr, name);
      read = outcome.current;
    }
  }

  private validate(def: ResourceDefinition, obj: ApiObject, problems: readonly FieldError[]): void {
    if (problems.length > 0) throw errors.invalid(def.group, def.kind, meta.name(obj) || meta.generateName(obj), problems);
  }

  private async read(key: string): Promise<StoredObject | undefined> {
    try {
      return (await this.storage.get(key)).object;
    } catch (err) {
      throw toApiError(err);
    }
  }

  private async write(f: () => Promise<WriteOutcome>): Promise<WriteOutcome> {
    try {
      return await f();
    } catch (err) {
      throw err instanceof ApiError ? err : toApiError(err);
    }
  }
}

/** An update that changes nothing is not written (kube-apiserver skips the write; resourceVersion stays). */
function isNoop(next: ApiObject, current: ApiObject): boolean {
  const strip = (o: ApiObject): JsonObject => {
    const copy: JsonObject = { ...o, metadata: { ...metadataOf(o) } };
    delete (copy['metadata'] as JsonObject)['resourceVersion'];
    return copy;
  };
  return jsonEqual(strip(next), strip(current));
}
