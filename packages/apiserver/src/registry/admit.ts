// Turns a request body into an object of the resource, or the Status error kube-apiserver gives for it:
// kind/apiVersion checks, schema type checks and unknown fields, and the URL's namespace and name.
import { isJsonObject, type Json, type JsonObject } from '../api/json.ts';
import { meta, metadataOf, type ApiObject } from '../api/object.ts';
import { errors } from '../api/status.ts';
import { decodeAgainstSchema, type FieldValidation } from './decode.ts';
import { apiVersionOf, type ResourceDefinition } from './resource.ts';

export interface AdmitTarget {
  /** The namespace in the URL ('' for cluster-scoped resources or all-namespace requests). */
  readonly namespace: string;
  /** The name in the URL; undefined on create (POST to the collection). */
  readonly name?: string;
}

export interface Admitted {
  readonly object: ApiObject;
  /** Warning texts for the `Warning` header (unknown fields under fieldValidation=Warn). */
  readonly warnings: readonly string[];
}

export function admitBody(def: ResourceDefinition, body: Json, target: AdmitTarget, fieldValidation: FieldValidation): Admitted {
  if (!isJsonObject(body)) throw errors.badRequest(`the body of a ${def.kind} must be a JSON object`);
  const apiVersion = body['apiVersion'];
  const want = apiVersionOf(def);
  if (apiVersion !== undefined && apiVersion !== null && apiVersion !== '' && apiVersion !== want) {
    throw errors.badRequest(`the API version in the data (${typeof apiVersion === 'string' ? apiVersion : JSON.stringify(apiVersion)}) does not match the expected API version (${want})`);
  }
  const kind = body['kind'];
  if (kind !== undefined && kind !== null && kind !== '' && kind !== def.kind) {
    throw errors.badRequest(`the object provided is unrecognized (must be of type ${def.kind}): kind ${JSON.stringify(kind)} in the body`);
  }
  const { object, unknownFields } = decodeAgainstSchema(body, def.schema, def.kind, def.version, fieldValidation);
  const obj: JsonObject = { apiVersion: want, kind: def.kind, ...object };
  obj['apiVersion'] = want;
  obj['kind'] = def.kind;
  const m = metadataOf(obj);
  if (def.namespaced) {
    const ns = meta.namespace(obj);
    if (ns !== '' && target.namespace !== '' && ns !== target.namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (target.namespace !== '') m['namespace'] = target.namespace;
  } else {
    // kube-apiserver ignores a namespace on a cluster-scoped object.
    delete m['namespace'];
  }
  if (target.name !== undefined) {
    const name = meta.name(obj);
    if (name !== '' && name !== target.name) throw errors.badRequest(`the name of the object (${name}) does not match the name on the URL (${target.name})`);
    m['name'] = target.name;
  }
  const warnings = fieldValidation === 'Warn' ? unknownFields.map((f) => `unknown field "${f}"`) : [];
  return { object: obj, warnings };
}

/** Characters kube-apiserver draws generated name suffixes from (no vowels, no look-alikes). */
const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATE_NAME_SUFFIX_LENGTH = 5;

/** `generateName` + a random suffix, trimmed so the result stays within the name length limit. */
export function generateName(prefix: string, maxLength: number, random: () => number): string {
  let suffix = '';
  for (let i = 0; i < GENERATE_NAME_SUFFIX_LENGTH; i++) suffix += GENERATE_NAME_ALPHABET[Math.floor(random() * GENERATE_NAME_ALPHABET.length)];
  const room = maxLength - GENERATE_NAME_SUFFIX_LENGTH;
  return `${prefix.length > room ? prefix.slice(0, room) : prefix}${suffix}`;
}
