// A small schema language for the fields of a resource: one declaration drives type checking of request
// bodies, unknown-field detection (fieldValidation), the OpenAPI documents kubectl reads, and the patch
// strategies of strategic merge patch. Shapes follow the Kubernetes Go types of the built-in resources.

export type FieldSchema =
  | { readonly type: 'string'; readonly format?: 'date-time' | 'micro-time' | 'byte'; readonly enum?: readonly string[]; readonly description?: string }
  | { readonly type: 'integer'; readonly format: 'int32' | 'int64'; readonly description?: string }
  | { readonly type: 'boolean'; readonly description?: string }
  /** map[string]T */
  | { readonly type: 'map'; readonly values: FieldSchema; readonly description?: string }
  | {
      readonly type: 'array';
      readonly items: FieldSchema;
      /** Strategic merge patch: `merge` merges lists (by `patchMergeKey` for lists of objects, as a set for scalars). */
      readonly patchStrategy?: 'merge';
      readonly patchMergeKey?: string;
      readonly description?: string;
    }
  | { readonly type: 'object'; readonly properties: Readonly<Record<string, FieldSchema>>; readonly description?: string }
  /** Free-form JSON kept as given (e.g. managedFields entries). */
  | { readonly type: 'any'; readonly description?: string };

export type ObjectSchema = Extract<FieldSchema, { type: 'object' }>;

const str = (description?: string): FieldSchema => ({ type: 'string', ...(description !== undefined ? { description } : {}) });
const stringMap = (description: string): FieldSchema => ({ type: 'map', values: { type: 'string' }, description });

/** metav1.ObjectMeta, the fields the apiserver knows. */
export const objectMetaSchema: ObjectSchema = {
  type: 'object',
  description: 'Standard object metadata.',
  properties: {
    name: str('Name must be unique within a namespace.'),
    generateName: str('Prefix for a server-generated name, used when name is empty.'),
    namespace: str('The namespace of a namespaced object.'),
    uid: str('Set by the server on create.'),
    resourceVersion: str('The storage revision of the last change; an opaque value for optimistic concurrency.'),
    generation: { type: 'integer', format: 'int64' },
    creationTimestamp: { type: 'string', format: 'date-time' },
    deletionTimestamp: { type: 'string', format: 'date-time' },
    deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
    labels: stringMap('Map of string keys and values for organizing and selecting objects.'),
    annotations: stringMap('Unstructured key value map stored with the object.'),
    ownerReferences: {
      type: 'array',
      patchStrategy: 'merge',
      patchMergeKey: 'uid',
      items: {
        type: 'object',
        properties: {
          apiVersion: str(),
          kind: str(),
          name: str(),
          uid: str(),
          controller: { type: 'boolean' },
          blockOwnerDeletion: { type: 'boolean' },
        },
      },
    },
    finalizers: { type: 'array', patchStrategy: 'merge', items: { type: 'string' } },
    managedFields: { type: 'array', items: { type: 'any' } },
    selfLink: str(),
  },
};

/** The fields every object has besides its kind-specific ones. */
export function objectSchema(properties: Readonly<Record<string, FieldSchema>>, description: string): ObjectSchema {
  return {
    type: 'object',
    description,
    properties: { apiVersion: str('APIVersion of this representation of the object.'), kind: str('Kind of the object.'), metadata: objectMetaSchema, ...properties },
  };
}

/** The schema of `field` below `schema` (e.g. ['metadata', 'finalizers']), if the schema declares it. */
export function schemaAt(schema: FieldSchema, path: readonly string[]): FieldSchema | undefined {
  let cur: FieldSchema | undefined = schema;
  for (const p of path) {
    if (cur === undefined) return undefined;
    switch (cur.type) {
      case 'object':
        cur = cur.properties[p];
        break;
      case 'map':
        cur = cur.values;
        break;
      case 'array':
        cur = cur.items;
        break;
      default:
        return undefined;
    }
  }
  return cur;
}
