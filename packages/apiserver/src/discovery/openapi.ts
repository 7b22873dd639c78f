// /openapi/v3: enough of kube-apiserver's OpenAPI v3 documents for kubectl. kubectl's default validation
// (--validate=strict) checks whether a kind's PATCH operation lists the `fieldValidation` query parameter;
// when it does, kubectl leaves validation to the server (fieldValidation=Strict) instead of downloading
// schemas. The component schemas are generated from the same schema declarations that check request bodies.
// They carry no x-kubernetes-group-version-kind, so kubectl's client-side apply computes strategic merge
// patches from its built-in types, exactly as it does for these kinds against kube-apiserver.
import { createHash } from 'node:crypto';
import type { Json, JsonObject } from '../api/json.ts';
import type { GroupVersion, ResourceRegistry } from '../registry/registry.ts';
import { apiVersionOf, type ResourceDefinition } from '../registry/resource.ts';
import type { FieldSchema } from '../registry/schema.ts';
import { KUBERNETES_MAJOR, KUBERNETES_MINOR } from './version.ts';

function gvPath(gv: GroupVersion): string {
  return gv.group === '' ? `api/${gv.version}` : `apis/${gv.group}/${gv.version}`;
}

function schemaName(def: ResourceDefinition): string {
  return def.group === '' ? `io.k8s.api.core.${def.version}.${def.kind}` : `io.k8s.api.${def.group.split('.')[0]}.${def.version}.${def.kind}`;
}

/** The OpenAPI form of one field schema. */
export function toOpenApi(s: FieldSchema): JsonObject {
  const out: JsonObject = {};
  if (s.description !== undefined) out['description'] = s.description;
  switch (s.type) {
    case 'string':
      out['type'] = 'string';
      if (s.format === 'byte') out['format'] = 'byte';
      else if (s.format !== undefined) out['format'] = 'date-time';
      if (s.enum !== undefined) out['enum'] = [...s.enum];
      return out;
    case 'integer':
      return { ...out, type: 'integer', format: s.format };
    case 'boolean':
      return { ...out, type: 'boolean' };
    case 'any':
      return { ...out, type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    case 'map':
      return { ...out, type: 'object', additionalProperties: toOpenApi(s.values) };
    case 'array': {
      const a: JsonObject = { ...out, type: 'array', items: toOpenApi(s.items) };
      if (s.patchStrategy !== undefined) a['x-kubernetes-patch-strategy'] = s.patchStrategy;
      if (s.patchMergeKey !== undefined) a['x-kubernetes-patch-merge-key'] = s.patchMergeKey;
      return a;
    }
    case 'object': {
      const props: JsonObject = {};
      for (const [k, v] of Object.entries(s.properties)) props[k] = toOpenApi(v);
      return { ...out, type: 'object', properties: props };
    }
    default: {
      const never: never = s;
      return never;
    }
  }
}

const queryParam = (name: string, description: string): JsonObject => ({ name, in: 'query', description, schema: { type: 'string', uniqueItems: true } });
const writeParams: Json[] = [
  queryParam('dryRun', 'When present, indicates that modifications should not be persisted. Valid value: All.'),
  queryParam('fieldManager', 'A name associated with the actor making these changes (accepted, not tracked).'),
  queryParam('fieldValidation', 'Ignore, Warn (default) or Strict: what to do with unknown fields.'),
];

function gvkExt(def: ResourceDefinition): JsonObject {
  return { group: def.group, version: def.version, kind: def.kind };
}

function jsonContent(ref: string): JsonObject {
  return { 'application/json': { schema: { $ref: ref } } };
}

function pathsOf(def: ResourceDefinition): JsonObject {
  const ref = `#/components/schemas/${schemaName(def)}`;
  const base = def.group === '' ? `/api/${def.version}` : `/apis/${def.group}/${def.version}`;
  const collection = def.namespaced ? `${base}/namespaces/{namespace}/${def.plural}` : `${base}/${def.plural}`;
  const item = `${collection}/{name}`;
  const op = (action: string, extra: JsonObject = {}): JsonObject => ({
    operationId: `${action}${def.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvkExt(def),
    responses: { '200': { description: 'OK', content: jsonContent(ref) } },
    ...extra,
  });
  const pathParams: Json[] = def.namespaced ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }] : [];
  const paths: JsonObject = {
    [collection]: {
      get: op('list'),
      post: op('post', { parameters: writeParams, requestBody: { content: jsonContent(ref), required: true } }),
      parameters: pathParams,
    },
    [item]: {
      get: op('get'),
      put: op('put', { parameters: writeParams, requestBody: { content: jsonContent(ref), required: true } }),
      patch: op('patch', {
        parameters: [...writeParams, queryParam('force', 'Server-side apply only (not supported).')],
        requestBody: {
          content: {
            'application/json-patch+json': { schema: { type: 'object' } },
            'application/merge-patch+json': { schema: { type: 'object' } },
            'application/strategic-merge-patch+json': { schema: { type: 'object' } },
          },
          required: true,
        },
      }),
      delete: op('delete', { parameters: [queryParam('dryRun', 'Valid value: All.'), queryParam('propagationPolicy', 'Orphan, Background or Foreground.')] }),
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }, ...pathParams],
    },
  };
  return paths;
}

/** The document of one group/version (/openapi/v3/api/v1, /openapi/v3/apis/<group>/<version>). */
export function openApiDocument(registry: ResourceRegistry, gv: GroupVersion): JsonObject | undefined {
  const defs = registry.resourcesOf(gv);
  if (defs.length === 0) return undefined;
  const paths: JsonObject = {};
  const schemas: JsonObject = {};
  for (const def of defs) {
    Object.assign(paths, pathsOf(def));
    const s = toOpenApi(def.schema);
    s['description'] = def.description;
    schemas[schemaName(def)] = s;
    const list = `${schemaName(def)}List`;
    schemas[list] = {
      type: 'object',
      description: `A list of ${def.kind} objects (kind ${def.kind}List, apiVersion ${apiVersionOf(def)}).`,
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, items: { type: 'array', items: { $ref: `#/components/schemas/${schemaName(def)}` } } },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: `v${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}.0` }, paths, components: { schemas } };
}

/** /openapi/v3: where each group/version's document is, with a content hash for client caches. */
export function openApiRoot(registry: ResourceRegistry): JsonObject {
  const paths: JsonObject = {};
  for (const gv of registry.groupVersions()) {
    const doc = openApiDocument(registry, gv);
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
    paths[gvPath(gv)] = { serverRelativeURL: `/openapi/v3/${gvPath(gv)}?hash=${hash}` };
  }
  return { paths };
}
