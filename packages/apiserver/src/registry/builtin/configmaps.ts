// v1 ConfigMap: string data and binary data under keys, optionally immutable.
import { isJsonObject, jsonEqual } from '../../api/json.ts';
import { mapSize, type ApiObject } from '../../api/object.ts';
import { configMapKeyErrors } from '../../api/names.ts';
import { fieldError, type FieldError } from '../../api/status.ts';
import type { ResourceDefinition } from '../resource.ts';
import { objectSchema } from '../schema.ts';

/** kube-apiserver's bound on the total size of a ConfigMap's or Secret's data. */
export const DATA_TOTAL_BYTES_MAX = 1024 * 1024;

export const configMaps: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  singular: 'configmap',
  shortNames: ['cm'],
  namespaced: true,
  nameRule: 'dns1123Subdomain',
  description: 'ConfigMap holds configuration data for pods to consume.',
  schema: objectSchema(
    {
      data: { type: 'map', values: { type: 'string' }, description: 'Configuration data (UTF-8 strings).' },
      binaryData: { type: 'map', values: { type: 'string', format: 'byte' }, description: 'Binary data, base64-encoded.' },
      immutable: { type: 'boolean', description: 'If true, data cannot be changed (only the object deleted).' },
    },
    'ConfigMap holds configuration data for pods to consume.',
  ),
  validate(obj: ApiObject): FieldError[] {
    const out: FieldError[] = [];
    let total = 0;
    const data = isJsonObject(obj['data']) ? obj['data'] : {};
    const binary = isJsonObject(obj['binaryData']) ? obj['binaryData'] : {};
    for (const [k, v] of Object.entries(data)) {
      for (const p of configMapKeyErrors(k)) out.push(fieldError.invalid(`data[${k}]`, k, p));
      total += typeof v === 'string' ? Buffer.byteLength(v) : 0;
    }
    for (const [k, v] of Object.entries(binary)) {
      for (const p of configMapKeyErrors(k)) out.push(fieldError.invalid(`binaryData[${k}]`, k, p));
      if (Object.prototype.hasOwnProperty.call(data, k)) out.push(fieldError.invalid(`binaryData[${k}]`, k, 'duplicate of key present in data'));
      total += typeof v === 'string' ? Buffer.from(v, 'base64').length : 0;
    }
    if (total > DATA_TOTAL_BYTES_MAX) out.push(fieldError.tooLong('[]', DATA_TOTAL_BYTES_MAX));
    return out;
  },
  validateUpdate: (obj, old) => immutableDataErrors(obj, old, ['data', 'binaryData']),
  tableColumns: [{ name: 'Data', type: 'integer', format: '', description: 'Number of keys in data and binaryData.', priority: 0 }],
  tableCells: (obj) => [mapSize(obj['data']) + mapSize(obj['binaryData'])],
};

/** The rule of ConfigMaps and Secrets marked `immutable: true`: the data fields, and the flag, stay as they are. */
export function immutableDataErrors(obj: ApiObject, old: ApiObject, fields: readonly string[]): FieldError[] {
  if (old['immutable'] !== true) return [];
  const out: FieldError[] = [];
  if (obj['immutable'] !== true) out.push(fieldError.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) if (!jsonEqual(obj[f] ?? {}, old[f] ?? {})) out.push(fieldError.forbidden(f, 'field is immutable when `immutable` is set'));
  return out;
}
