// v1 Namespace (cluster-scoped). The server keeps status (phase Active) and the
// `kubernetes.io/metadata.name` label, as kube-apiserver does.
import { isJsonObject, type JsonObject } from '../../api/json.ts';
import { fieldAt, meta, metadataOf, type ApiObject } from '../../api/object.ts';
import type { FieldError } from '../../api/status.ts';
import type { ResourceDefinition } from '../resource.ts';
import { objectSchema } from '../schema.ts';

/** Namespaces that exist from the first start and may not be deleted. */
export const SYSTEM_NAMESPACES: readonly string[] = ['default', 'kube-system'];
/** The label kube-apiserver puts on every namespace, so selectors can name one. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function stampNameLabel(obj: ApiObject): void {
  const m = metadataOf(obj);
  const labels: JsonObject = isJsonObject(m['labels']) ? m['labels'] : {};
  labels[NAMESPACE_NAME_LABEL] = meta.name(obj);
  m['labels'] = labels;
}

export const namespaces: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  shortNames: ['ns'],
  namespaced: false,
  nameRule: 'dns1123Label',
  description: 'Namespace provides a scope for names.',
  schema: objectSchema(
    {
      spec: { type: 'object', properties: { finalizers: { type: 'array', items: { type: 'string' } } } },
      status: {
        type: 'object',
        properties: {
          phase: { type: 'string', enum: ['Active', 'Terminating'] },
          conditions: { type: 'array', items: { type: 'any' } },
        },
      },
    },
    'Namespace provides a scope for names.',
  ),
  extraFieldSelectors: { 'status.phase': (obj) => String(fieldAt(obj, ['status', 'phase']) ?? '') },
  prepareForCreate(obj) {
    obj['status'] = { phase: 'Active' };
    const spec: JsonObject = isJsonObject(obj['spec']) ? obj['spec'] : {};
    if (!Array.isArray(spec['finalizers'])) spec['finalizers'] = ['kubernetes'];
    obj['spec'] = spec;
    stampNameLabel(obj);
  },
  prepareForUpdate(obj, old) {
    // Status and spec.finalizers belong to the server (kube-apiserver changes them only through subresources).
    obj['status'] = structuredClone(old['status'] ?? { phase: 'Active' });
    obj['spec'] = structuredClone(old['spec'] ?? {});
    stampNameLabel(obj);
  },
  validate: (): FieldError[] => [],
  tableColumns: [{ name: 'Status', type: 'string', format: '', description: 'The phase of the namespace.', priority: 0 }],
  tableCells: (obj) => [String(fieldAt(obj, ['status', 'phase']) ?? '')],
};
