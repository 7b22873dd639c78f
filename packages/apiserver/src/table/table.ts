// meta.k8s.io Table responses, which `kubectl get` asks for (Accept: application/json;as=Table;v=v1;g=meta.k8s.io):
// a Name column, the resource's own columns, and AGE, computed by the server as kube-apiserver's printers do.
// Each row carries the object as PartialObjectMetadata unless `includeObject` says otherwise.
import type { Json, JsonObject } from '../api/json.ts';
import { meta, metadataOf, type ApiObject } from '../api/object.ts';
import { errors } from '../api/status.ts';
import { ageOf } from '../registry/builtin/age.ts';
import type { ResourceDefinition, TableColumn } from '../registry/resource.ts';

export type IncludeObject = 'None' | 'Object' | 'Metadata';

export interface TableOptions {
  readonly includeObject: IncludeObject;
  /** Leave out the column definitions (watch events after the first carry none). */
  readonly noHeaders: boolean;
  readonly metaApiVersion: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';
}

/** `includeObject` as sent: absent = Metadata (PartialObjectMetadata rows); a value outside the three is a 400. */
export function parseIncludeObject(v: string | undefined): IncludeObject {
  if (v === undefined || v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw errors.badRequest(`unrecognized includeObject value: "${v}"`);
}

const nameColumn: TableColumn = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 };
const ageColumn: TableColumn = { name: 'Age', type: 'string', format: '', description: 'Time since the object was created.', priority: 0 };

export function columnsOf(def: ResourceDefinition): TableColumn[] {
  return [nameColumn, ...def.tableColumns, ageColumn];
}

/** The object of a Table row: PartialObjectMetadata, the whole object, or nothing. */
export function partialObjectMetadata(obj: ApiObject, metaApiVersion: string): JsonObject {
  return { kind: 'PartialObjectMetadata', apiVersion: metaApiVersion, metadata: structuredClone(metadataOf(obj)) };
}

export function toTable(def: ResourceDefinition, objects: readonly ApiObject[], listMeta: JsonObject, options: TableOptions, nowMs: number): JsonObject {
  const rows = objects.map((obj) => {
    const row: JsonObject = { cells: [meta.name(obj), ...def.tableCells(obj), ageOf(meta.creationTimestamp(obj), nowMs)] as Json[] };
    if (options.includeObject === 'Object') row['object'] = obj;
    else if (options.includeObject === 'Metadata') row['object'] = partialObjectMetadata(obj, options.metaApiVersion);
    return row;
  });
  const columnDefinitions: Json[] = options.noHeaders ? [] : columnsOf(def).map((c) => ({ name: c.name, type: c.type, format: c.format, description: c.description, priority: c.priority }));
  return { kind: 'Table', apiVersion: options.metaApiVersion, metadata: listMeta, columnDefinitions, rows };
}
