// Validation of metadata shared by every kind (ValidateObjectMeta in kube-apiserver): name rules, namespace
// presence, label and annotation keys and values, owner references, finalizers, and what may not change.
import { isJsonObject, type JsonObject } from '../api/json.ts';
import { meta, type ApiObject } from '../api/object.ts';
import { dns1123LabelErrors, dns1123SubdomainErrors, labelValueErrors, qualifiedNameErrors } from '../api/names.ts';
import { fieldError, type FieldError } from '../api/status.ts';
import type { ResourceDefinition } from './resource.ts';

/** kube-apiserver's bound on the total size of annotations (keys + values). */
export const ANNOTATIONS_TOTAL_BYTES_MAX = 256 * 1024;

export function validateObjectMeta(def: ResourceDefinition, obj: ApiObject): FieldError[] {
  const out: FieldError[] = [];
  const name = meta.name(obj);
  if (name === '') out.push(fieldError.required('metadata.name', 'name or generateName is required'));
  else {
    const problems = def.nameRule === 'dns1123Label' ? dns1123LabelErrors(name) : dns1123SubdomainErrors(name);
    for (const p of problems) out.push(fieldError.invalid('metadata.name', name, p));
  }
  const ns = meta.namespace(obj);
  if (def.namespaced) {
    if (ns === '') out.push(fieldError.required('metadata.namespace'));
    else for (const p of dns1123LabelErrors(ns)) out.push(fieldError.invalid('metadata.namespace', ns, p));
  } else if (ns !== '') out.push(fieldError.forbidden('metadata.namespace', 'not allowed on this type'));

  const m = obj['metadata'] as JsonObject;
  const labels = m['labels'];
  if (isJsonObject(labels)) {
    for (const [k, v] of Object.entries(labels)) {
      for (const p of qualifiedNameErrors(k)) out.push(fieldError.invalid('metadata.labels', k, p));
      if (typeof v === 'string') for (const p of labelValueErrors(v)) out.push(fieldError.invalid(`metadata.labels`, v, p));
    }
  }
  const annotations = m['annotations'];
  if (isJsonObject(annotations)) {
    let total = 0;
    for (const [k, v] of Object.entries(annotations)) {
      for (const p of qualifiedNameErrors(k.toLowerCase())) out.push(fieldError.invalid('metadata.annotations', k, p));
      total += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
    }
    if (total > ANNOTATIONS_TOTAL_BYTES_MAX) out.push(fieldError.tooLong('metadata.annotations', ANNOTATIONS_TOTAL_BYTES_MAX));
  }
  const finalizers = m['finalizers'];
  if (Array.isArray(finalizers)) {
    finalizers.forEach((f, i) => {
      if (typeof f === 'string') for (const p of qualifiedNameErrors(f)) out.push(fieldError.invalid(`metadata.finalizers[${i}]`, f, p));
    });
  }
  const owners = m['ownerReferences'];
  if (Array.isArray(owners)) {
    owners.forEach((o, i) => {
      if (!isJsonObject(o)) return;
      for (const f of ['apiVersion', 'kind', 'name', 'uid']) {
        if (typeof o[f] !== 'string' || o[f] === '') out.push(fieldError.required(`metadata.ownerReferences[${i}].${f}`));
      }
    });
  }
  return out;
}

/** What may not change on update: uid and creationTimestamp are restored by the server before this runs. */
export function validateObjectMetaUpdate(obj: ApiObject, old: ApiObject): FieldError[] {
  const out: FieldError[] = [];
  if (meta.name(obj) !== meta.name(old)) out.push(fieldError.invalid('metadata.name', meta.name(obj), 'field is immutable'));
  if (meta.namespace(obj) !== meta.namespace(old)) out.push(fieldError.invalid('metadata.namespace', meta.namespace(obj), 'field is immutable'));
  return out;
}
