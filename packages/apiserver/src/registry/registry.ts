// The set of served resources, looked up by URL parts. Definitions are checked when registered so a typo
// in a new resource fails at start-up, not on the first request.
import type { ResourceDefinition } from './resource.ts';

export interface GroupVersion {
  readonly group: string;
  readonly version: string;
}

export class ResourceRegistry {
  private readonly byKey = new Map<string, ResourceDefinition>();
  private readonly all: ResourceDefinition[] = [];

  constructor(definitions: readonly ResourceDefinition[]) {
    for (const d of definitions) this.register(d);
  }

  private register(def: ResourceDefinition): void {
    const key = `${def.group}/${def.version}/${def.plural}`;
    if (this.byKey.has(key)) throw new Error(`resource ${key} registered twice`);
    if (!/^[a-z][a-z0-9]*$/.test(def.plural) || !/^[a-z][a-z0-9]*$/.test(def.singular)) throw new Error(`resource ${key}: plural and singular must be lower-case words`);
    if (!/^[A-Z][A-Za-z0-9]*$/.test(def.kind)) throw new Error(`resource ${key}: kind must be CamelCase`);
    for (const other of this.all) {
      if (other.group === def.group && other.version === def.version && other.kind === def.kind) throw new Error(`kind ${def.kind} registered twice in ${def.group}/${def.version}`);
    }
    this.byKey.set(key, def);
    this.all.push(def);
  }

  /** The resource served at /api(s)/<group>/<version>/<plural>, if any. */
  find(group: string, version: string, plural: string): ResourceDefinition | undefined {
    return this.byKey.get(`${group}/${version}/${plural}`);
  }

  /** The resource of a kind in a group/version (for bodies that name their kind). */
  findKind(group: string, version: string, kind: string): ResourceDefinition | undefined {
    return this.all.find((d) => d.group === group && d.version === version && d.kind === kind);
  }

  get definitions(): readonly ResourceDefinition[] {
    return this.all;
  }

  /** Every served group/version, the core group ('') first, in registration order otherwise. */
  groupVersions(): GroupVersion[] {
    const seen = new Set<string>();
    const out: GroupVersion[] = [];
    for (const d of [...this.all].sort((a, b) => (a.group === '' ? -1 : 0) - (b.group === '' ? -1 : 0))) {
      const k = `${d.group}/${d.version}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push({ group: d.group, version: d.version });
      }
    }
    return out;
  }

  resourcesOf(gv: GroupVersion): ResourceDefinition[] {
    return this.all.filter((d) => d.group === gv.group && d.version === gv.version);
  }

  hasGroupVersion(group: string, version: string): boolean {
    return this.all.some((d) => d.group === group && d.version === version);
  }
}
