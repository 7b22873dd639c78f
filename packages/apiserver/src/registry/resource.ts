// What the apiserver needs to know to serve one kind: its names (for URLs, discovery and kubectl), its scope,
// its schema, its validation and defaulting, and how kubectl's table shows it. Adding a resource is writing
// one of these (see builtin/).
import type { Json } from '../api/json.ts';
import type { ApiObject } from '../api/object.ts';
import type { FieldError, GroupResource } from '../api/status.ts';
import type { ObjectSchema } from './schema.ts';

export interface TableColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  /** `name` marks the column that identifies the object (kubectl uses it). */
  readonly format: '' | 'name';
  readonly description: string;
  /** 0 = shown by default; higher = only with `-o wide`. */
  readonly priority: number;
}

export interface ResourceDefinition {
  /** API group; '' for the core (legacy) group served under /api. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  /** Namespaces are DNS-1123 labels; most other objects DNS-1123 subdomains. */
  readonly nameRule: 'dns1123Label' | 'dns1123Subdomain';
  readonly description: string;
  /** Every field of the kind, including apiVersion/kind/metadata (see objectSchema). */
  readonly schema: ObjectSchema;
  /** Field selectors besides metadata.name and metadata.namespace, with the value each reads from an object. */
  readonly extraFieldSelectors?: Readonly<Record<string, (obj: ApiObject) => string>>;
  /** Server-set fields on create, after metadata is stamped: defaults and derived fields. Mutates `obj`. */
  readonly prepareForCreate?: (obj: ApiObject) => void;
  /** Server-kept fields on update (e.g. status); mutates `obj`, never `old`. */
  readonly prepareForUpdate?: (obj: ApiObject, old: ApiObject) => void;
  /** Kind-specific validation of a whole object (metadata is validated for every kind). */
  readonly validate: (obj: ApiObject) => FieldError[];
  /** Kind-specific rules about changes (immutable fields). */
  readonly validateUpdate?: (obj: ApiObject, old: ApiObject) => FieldError[];
  /** Columns after Name (Age is appended for every kind), and their cells. */
  readonly tableColumns: readonly TableColumn[];
  readonly tableCells: (obj: ApiObject) => Json[];
}

export function apiVersionOf(def: ResourceDefinition): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`;
}

export function groupResourceOf(def: ResourceDefinition): GroupResource {
  return { group: def.group, resource: def.plural };
}

export function listKindOf(def: ResourceDefinition): string {
  return `${def.kind}List`;
}
