// Model-based test of resource semantics (fast-check commands): random sequences of create, get, update
// (with the current, a stale or no resourceVersion), merge and JSON patches, delete (with and without
// preconditions), paged lists and concurrent conflicting updates, run against the real HTTP server over the
// KV client, and checked step by step against a plain map.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JsonObject } from '../api/json.ts';
import { apiRequest, type ApiResponse } from '../testing/api-client.ts';
import { startFakeKvApiserver, type FakeKvApiserver } from '../testing/fake-kv.ts';

interface ModelObject {
  data: Record<string, string>;
  rv: number;
  uid: string;
  /** Earlier resourceVersions of this object: each is stale now. */
  stale: number[];
}

interface Model {
  readonly objects: Map<string, ModelObject>;
  /** Highest resourceVersion any write returned: revisions only grow. */
  lastRv: number;
}

interface Real {
  readonly url: string;
  readonly ns: string;
}

const NAMES = ['n0', 'n1', 'n2'];
const dataArb = fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('1', '2', 'x'), { maxKeys: 3 });

let env: FakeKvApiserver;
let runs = 0;
beforeAll(async () => {
  env = await startFakeKvApiserver();
});
afterAll(async () => {
  await env.close();
});

const path = (r: Real, name?: string): string => `/api/v1/namespaces/${r.ns}/configmaps${name === undefined ? '' : `/${name}`}`;
const metaOf = (res: ApiResponse): Record<string, string> => res.body['metadata'] as Record<string, string>;
const body = (name: string, data: Record<string, string>, rv?: number): JsonObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(rv !== undefined ? { resourceVersion: String(rv) } : {}) }, data });
const sameData = (a: Record<string, string>, b: Record<string, string>): boolean => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** After a successful write the object's resourceVersion is new and larger than every earlier one; a no-op write keeps it. */
function recordWrite(m: Model, name: string, res: ApiResponse, data: Record<string, string>): void {
  const old = m.objects.get(name);
  const rv = Number(metaOf(res)['resourceVersion']);
  if (old !== undefined && sameData(old.data, data)) {
    expect(rv).toBe(old.rv);
    return;
  }
  expect(rv).toBeGreaterThan(m.lastRv);
  m.lastRv = rv;
  m.objects.set(name, { data, rv, uid: old?.uid ?? metaOf(res)['uid']!, stale: old === undefined ? [] : [...old.stale, old.rv] });
}

class Create implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: string, readonly data: Record<string, string>) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const res = await apiRequest(r.url, 'POST', path(r), { body: body(this.name, this.data) });
    // Creating an existing name is AlreadyExists and changes nothing.
    if (m.objects.has(this.name)) {
      expect(res.status).toBe(409);
      expect(res.body['reason']).toBe('AlreadyExists');
      return;
    }
    expect(res.status).toBe(201);
    const rv = Number(metaOf(res)['resourceVersion']);
    expect(rv).toBeGreaterThan(m.lastRv);
    m.lastRv = rv;
    m.objects.set(this.name, { data: this.data, rv, uid: metaOf(res)['uid']!, stale: [] });
  }
  toString = (): string => `create(${this.name}, ${JSON.stringify(this.data)})`;
}

class Get implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: string) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const res = await apiRequest(r.url, 'GET', path(r, this.name));
    const want = m.objects.get(this.name);
    // A read sees exactly the last acknowledged write: data, resourceVersion and uid.
    if (want === undefined) {
      expect(res.status).toBe(404);
      return;
    }
    expect(res.status).toBe(200);
    expect(res.body['data'] ?? {}).toEqual(want.data);
    expect(metaOf(res)['resourceVersion']).toBe(String(want.rv));
    expect(metaOf(res)['uid']).toBe(want.uid);
  }
  toString = (): string => `get(${this.name})`;
}

class Put implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: string, readonly data: Record<string, string>, readonly mode: 'current' | 'stale' | 'none') {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const cur = m.objects.get(this.name);
    const rv = this.mode === 'none' ? undefined : this.mode === 'current' ? (cur?.rv ?? 1) : (cur?.stale[cur.stale.length - 1] ?? 1);
    const res = await apiRequest(r.url, 'PUT', path(r, this.name), { body: body(this.name, this.data, rv) });
    if (cur === undefined) {
      expect(res.status).toBe(404);
      return;
    }
    // A resourceVersion that is not the current one is a Conflict and nothing changes.
    if (rv !== undefined && rv !== cur.rv) {
      expect(res.status).toBe(409);
      expect(res.body['reason']).toBe('Conflict');
      return;
    }
    expect(res.status).toBe(200);
    recordWrite(m, this.name, res, this.data);
  }
  toString = (): string => `put(${this.name}, ${JSON.stringify(this.data)}, rv=${this.mode})`;
}

class Patch implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: string, readonly kind: 'merge' | 'json' | 'strategic', readonly key: string, readonly value: string | null) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const cur = m.objects.get(this.name);
    const contentType = { merge: 'application/merge-patch+json', json: 'application/json-patch+json', strategic: 'application/strategic-merge-patch+json' }[this.kind];
    const patch =
      this.kind === 'json'
        ? this.value === null
          ? [{ op: 'remove', path: `/data/${this.key}` }]
          : [{ op: 'add', path: '/data', value: { ...(cur?.data ?? {}), [this.key]: this.value } }]
        : { data: { [this.key]: this.value } };
    const res = await apiRequest(r.url, 'PATCH', path(r, this.name), { body: patch, contentType });
    if (cur === undefined) {
      expect(res.status).toBe(404);
      return;
    }
    // Removing a missing key is a failed JSON patch (422), and a no-op for the merge patches.
    if (this.kind === 'json' && this.value === null && !(this.key in cur.data)) {
      expect(res.status).toBe(422);
      return;
    }
    expect(res.status).toBe(200);
    const next = { ...cur.data };
    if (this.value === null) delete next[this.key];
    else next[this.key] = this.value;
    expect(res.body['data'] ?? {}).toEqual(next);
    recordWrite(m, this.name, res, next);
  }
  toString = (): string => `patch(${this.name}, ${this.kind}, ${this.key}=${JSON.stringify(this.value)})`;
}

class Delete implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: string, readonly mode: 'current' | 'stale' | 'none') {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const cur = m.objects.get(this.name);
    const rv = this.mode === 'none' ? undefined : this.mode === 'current' ? (cur?.rv ?? 1) : (cur?.stale[cur.stale.length - 1] ?? 1);
    const res = await apiRequest(r.url, 'DELETE', path(r, this.name), rv === undefined ? {} : { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: String(rv) } } });
    if (cur === undefined) {
      expect(res.status).toBe(404);
      return;
    }
    if (rv !== undefined && rv !== cur.rv) {
      expect(res.status).toBe(409);
      return;
    }
    expect(res.status).toBe(200);
    expect(res.body['status']).toBe('Success');
    m.objects.delete(this.name);
    // The delete itself is a write: later writes get larger revisions still.
  }
  toString = (): string => `delete(${this.name}, rv=${this.mode})`;
}

class List implements fc.AsyncCommand<Model, Real> {
  constructor(readonly limit: number) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    // Paging through with limit/continue yields exactly the model's objects, in name order, all pages at
    // one revision that is at least every listed object's resourceVersion.
    const seen: { name: string; data: Record<string, string>; rv: number }[] = [];
    let cont: string | undefined;
    let listRv: string | undefined;
    for (let page = 0; page < 20; page++) {
      const q = `?limit=${this.limit}${cont === undefined ? '' : `&continue=${encodeURIComponent(cont)}`}`;
      const res = await apiRequest(r.url, 'GET', path(r) + q);
      expect(res.status).toBe(200);
      const meta = res.body['metadata'] as Record<string, string | undefined>;
      if (listRv === undefined) listRv = meta['resourceVersion'];
      else expect(meta['resourceVersion']).toBe(listRv);
      const items = res.body['items'] as JsonObject[];
      expect(items.length).toBeLessThanOrEqual(this.limit);
      for (const o of items) seen.push({ name: (o['metadata'] as Record<string, string>)['name']!, data: (o['data'] ?? {}) as Record<string, string>, rv: Number((o['metadata'] as Record<string, string>)['resourceVersion']) });
      cont = meta['continue'];
      if (cont === undefined) break;
    }
    expect(cont).toBeUndefined();
    const want = [...m.objects.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, o]) => ({ name, data: o.data, rv: o.rv }));
    expect(seen).toEqual(want);
    for (const s of seen) expect(s.rv).toBeLessThanOrEqual(Number(listRv));
  }
  toString = (): string => `list(limit=${this.limit})`;
}

class Race implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>): boolean => m.objects.has(this.name);
  async run(m: Model, r: Real): Promise<void> {
    // Two updates carrying the same current resourceVersion: exactly one wins, the other is a Conflict.
    const cur = m.objects.get(this.name)!;
    const dataA = { ...cur.data, race: `a${cur.rv}` };
    const dataB = { ...cur.data, race: `b${cur.rv}` };
    const [a, b] = await Promise.all([
      apiRequest(r.url, 'PUT', path(r, this.name), { body: body(this.name, dataA, cur.rv) }),
      apiRequest(r.url, 'PUT', path(r, this.name), { body: body(this.name, dataB, cur.rv) }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const [winner, data] = a.status === 200 ? [a, dataA] : [b, dataB];
    recordWrite(m, this.name, winner, data);
  }
  toString = (): string => `race(${this.name})`;
}

const commands = [
  fc.tuple(fc.constantFrom(...NAMES), dataArb).map(([n, d]) => new Create(n, d)),
  fc.constantFrom(...NAMES).map((n) => new Get(n)),
  fc.tuple(fc.constantFrom(...NAMES), dataArb, fc.constantFrom('current' as const, 'stale' as const, 'none' as const)).map(([n, d, mode]) => new Put(n, d, mode)),
  fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom('merge' as const, 'json' as const, 'strategic' as const), fc.constantFrom('a', 'b', 'c'), fc.option(fc.constantFrom('1', '2', 'y'), { nil: null })).map(([n, k, key, v]) => new Patch(n, k, key, v)),
  fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom('current' as const, 'stale' as const, 'none' as const)).map(([n, mode]) => new Delete(n, mode)),
  fc.integer({ min: 1, max: 3 }).map((l) => new List(l)),
  fc.constantFrom(...NAMES).map((n) => new Race(n)),
];

it('create/get/update/patch/delete/list behave like a map with optimistic concurrency', async () => {
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 30 }), async (cmds) => {
      const ns = `run-${runs++}`;
      const created = await apiRequest(env.server.url, 'POST', '/api/v1/namespaces', { body: { metadata: { name: ns } } });
      expect(created.status).toBe(201);
      const model: Model = { objects: new Map(), lastRv: Number(metaOf(created)['resourceVersion']) };
      await fc.asyncModelRun(() => ({ model, real: { url: env.server.url, ns } }), cmds);
    }),
    { numRuns: 40 },
  );
});
