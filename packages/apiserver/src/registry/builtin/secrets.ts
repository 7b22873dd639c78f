// v1 Secret: base64 data (stringData is a write-only convenience merged into data, as in kube-apiserver).
import { isJsonObject, type JsonObject } from '../../api/json.ts';
import { mapSize, type ApiObject } from '../../api/object.ts';
import { configMapKeyErrors } from '../../api/names.ts';
import { fieldError, type FieldError } from '../../api/status.ts';
import type { ResourceDefinition } from '../resource.ts';
import { objectSchema } from '../schema.ts';
import { DATA_TOTAL_BYTES_MAX, immutableDataErrors } from './configmaps.ts';

function mergeStringData(obj: ApiObject): void {
  const sd = obj['stringData'];
  if (isJsonObject(sd)) {
    const data: JsonObject = isJsonObject(obj['data']) ? obj['data'] : {};
    for (const [k, v] of Object.entries(sd)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
    obj['data'] = data;
  }
  delete obj['stringData'];
}

export const secrets: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  singular: 'secret',
  shortNames: [],
  namespaced: true,
  nameRule: 'dns1123Subdomain',
  description: 'Secret holds secret data of a certain type.',
  schema: objectSchema(
    {
      data: { type: 'map', values: { type: 'string', format: 'byte' }, description: 'Secret data, base64-encoded.' },
      stringData: { type: 'map', values: { type: 'string' }, description: 'Write-only: merged into data on write.' },
      type: { type: 'string', description: 'Used to facilitate programmatic handling of secret data.' },
      immutable: { type: 'boolean', description: 'If true, data cannot be changed.' },
    },
    'Secret holds secret data of a certain type.',
  ),
  extraFieldSelectors: { type: (obj) => (typeof obj['type'] === 'string' ? obj['type'] : '') },
  prepareForCreate(obj) {
    mergeStringData(obj);
    if (typeof obj['type'] !== 'string' || obj['type'] === '') obj['type'] = 'Opaque';
  },
  prepareForUpdate(obj, old) {
    mergeStringData(obj);
    if (typeof obj['type'] !== 'string' || obj['type'] === '') obj['type'] = old['type'] ?? 'Opaque';
  },
  validate(obj: ApiObject): FieldError[] {
    const out: FieldError[] = [];
    let total = 0;
    const data = isJsonObject(obj['data']) ? obj['data'] : {};
    for (const [k, v] of Object.entries(data)) {
      for (const p of configMapKeyErrors(k)) out.push(fieldError.invalid(`data[${k}]`, k, p));
      total += typeof v === 'string' ? Buffer.from(v, 'base64').length : 0;
    }
    if (total > DATA_TOTAL_BYTES_MAX) out.push(fieldError.tooLong('data', DATA_TOTAL_BYTES_MAX));
    return out;
  },
  validateUpdate(obj, old) {
    const out = immutableDataErrors(obj, old, ['data']);
    if (obj['type'] !== old['type']) out.push(fieldError.invalid('type', obj['type'], 'field is immutable'));
    return out;
  },
  tableColumns: [
    { name: 'Type', type: 'string', format: '', description: 'The type of the secret.', priority: 0 },
    { name: 'Data', type: 'integer', format: '', description: 'Number of keys in data.', priority: 0 },
  ],
  tableCells: (obj) => [typeof obj['type'] === 'string' ? obj['type'] : '', mapSize(obj['data'])],
};
