// Checks a request body against a resource's schema: wrong JSON types are a 400 (kube-apiserver's decoder
// refuses them), unknown fields are dropped, reported as warnings, or refused, per `fieldValidation`.
import { isJsonObject, type Json, type JsonObject } from '../api/json.ts';
import { errors } from '../api/status.ts';
import type { FieldSchema, ObjectSchema } from './schema.ts';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface DecodeResult {
  /** The object with unknown fields removed. */
  readonly object: JsonObject;
  /** Paths of unknown fields (`spec.foo`), in document order. */
  readonly unknownFields: readonly string[];
}

/**
 * Type-checks `body` against `schema` and prunes unknown fields. Throws a 400 ApiError for a type
 * mismatch, or for unknown fields when `mode` is Strict (kube-apiserver's strict decoding error).
 */
export function decodeAgainstSchema(body: JsonObject, schema: ObjectSchema, kind: string, version: string, mode: FieldValidation): DecodeResult {
  const unknown: string[] = [];
  const typeErrors: string[] = [];
  const object = walkObject(body, schema, '', unknown, typeErrors);
  if (typeErrors.length > 0) {
    throw errors.badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${typeErrors.join('; ')}`);
  }
  if (mode === 'Strict' && unknown.length > 0) {
    const list = unknown.map((f) => `unknown field "${f}"`);
    throw errors.badRequest(`strict decoding error: ${list.join(', ')}`);
  }
  return { object, unknownFields: unknown };
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function walkObject(value: JsonObject, schema: ObjectSchema, path: string, unknown: string[], typeErrors: string[]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    const fieldSchema = schema.properties[k];
    if (fieldSchema === undefined) {
      unknown.push(join(path, k));
      continue;
    }
    // null means "unset" for every optional field of the built-in types (Go's zero value).
    if (v === null) continue;
    out[k] = walk(v, fieldSchema, join(path, k), unknown, typeErrors);
  }
  return out;
}

function walk(value: Json, schema: FieldSchema, path: string, unknown: string[], typeErrors: string[]): Json {
  const mismatch = (want: string): Json => {
    typeErrors.push(`json: cannot unmarshal ${jsonTypeName(value)} into field ${path} of type ${want}`);
    return value;
  };
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return mismatch('string');
      return schema.format === undefined ? value : checkFormat(value, schema.format, path, typeErrors);
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return mismatch(schema.format);
      if (schema.format === 'int32' && (value > 2 ** 31 - 1 || value < -(2 ** 31))) return mismatch('int32');
      return value;
    case 'boolean':
      return typeof value === 'boolean' ? value : mismatch('bool');
    case 'any':
      return value;
    case 'map': {
      if (!isJsonObject(value)) return mismatch('map');
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(value)) {
        if (v === null && schema.values.type === 'string') {
          // Go decodes a null map value to ""; keep that rather than storing null.
          out[k] = '';
          continue;
        }
        out[k] = walk(v, schema.values, `${path}[${k}]`, unknown, typeErrors);
      }
      return out;
    }
    case 'array': {
      if (!Array.isArray(value)) return mismatch('array');
      return value.map((item, i) => walk(item, schema.items, `${path}[${i}]`, unknown, typeErrors));
    }
    case 'object':
      return isJsonObject(value) ? walkObject(value, schema, path, unknown, typeErrors) : mismatch('object');
    default: {
      const never: never = schema;
      return never;
    }
  }
}

function jsonTypeName(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

const rfc3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Checks and normalizes formatted strings the way Go's types round-trip them: metav1.Time is RFC 3339 in
 * UTC with whole seconds, metav1.MicroTime the same with six fractional digits, []byte standard base64.
 */
function checkFormat(value: string, format: 'date-time' | 'micro-time' | 'byte', path: string, typeErrors: string[]): string {
  if (format === 'byte') {
    if (!base64.test(value)) typeErrors.push(`illegal base64 data in field ${path}`);
    return value;
  }
  const m = rfc3339.exec(value);
  const ms = m === null ? NaN : Date.parse(`${m[1]}T${m[2]}${m[4]!.toUpperCase()}`);
  if (m === null || Number.isNaN(ms)) {
    typeErrors.push(`parsing time ${JSON.stringify(value)} in field ${path}: not an RFC 3339 time`);
    return value;
  }
  const seconds = new Date(ms).toISOString().slice(0, 19);
  if (format === 'date-time') return `${seconds}Z`;
  return `${seconds}.${(m[3] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
}
