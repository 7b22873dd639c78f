// The HTTP API against kube-apiserver's documented behaviour: Status bodies (reason, code, message) for
// each kind of failure, bad input, discovery, tables, watches, health. Runs the real server over the KV
// client and the KV's fake cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, WatchReader } from '../testing/api-client.ts';
import { startFakeKvApiserver, type FakeKvApiserver } from '../testing/fake-kv.ts';

let env: FakeKvApiserver;
let url: string;
const cm = (name: string, data: Record<string, string> = { a: '1' }, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data });
const CMS = '/api/v1/namespaces/default/configmaps';

beforeAll(async () => {
  env = await startFakeKvApiserver({ bookmarkIntervalMs: 200 });
  url = env.server.url;
});
afterAll(async () => {
  await env.close();
});

describe('create / get / update / delete', () => {
  it('creates with 201, stamps uid, creationTimestamp and resourceVersion = the KV mod revision', async () => {
    const r = await apiRequest(url, 'POST', CMS, { body: cm('c1') });
    expect(r.status).toBe(201);
    const m = r.body['metadata'] as Record<string, string>;
    expect(m['uid']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(m['creationTimestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const kv = env.cluster.store.range({ key: Buffer.from('/registry/configmaps/default/c1') });
    expect(m['resourceVersion']).toBe(String(kv.kvs[0]!.modRevision));
    const again = await apiRequest(url, 'POST', CMS, { body: cm('c1') });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409, message: 'configmaps "c1" already exists', details: { name: 'c1', kind: 'configmaps' } });
  });

  it('404 NotFound with the kube-apiserver message', async () => {
    const r = await apiRequest(url, 'GET', `${CMS}/nope`);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ reason: 'NotFound', message: 'configmaps "nope" not found', code: 404 });
    const lease = await apiRequest(url, 'GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases/x');
    expect(lease.body['message']).toBe('leases.coordination.k8s.io "x" not found');
  });

  it('PUT with a stale resourceVersion is a 409 Conflict; without one it is unconditional', async () => {
    const created = await apiRequest(url, 'POST', CMS, { body: cm('c2') });
    const rv = (created.body['metadata'] as Record<string, string>)['resourceVersion'];
    const ok = await apiRequest(url, 'PUT', `${CMS}/c2`, { body: cm('c2', { a: '2' }, { resourceVersion: rv }) });
    expect(ok.status).toBe(200);
    expect(Number((ok.body['metadata'] as Record<string, string>)['resourceVersion'])).toBeGreaterThan(Number(rv));
    const stale = await apiRequest(url, 'PUT', `${CMS}/c2`, { body: cm('c2', { a: '3' }, { resourceVersion: rv }) });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on configmaps "c2": the object has been modified; please apply your changes to the latest version and try again',
    });
    const blind = await apiRequest(url, 'PUT', `${CMS}/c2`, { body: cm('c2', { a: '4' }) });
    expect(blind.status).toBe(200);
    expect((blind.body['data'] as Record<string, string>)['a']).toBe('4');
    expect((blind.body['metadata'] as Record<string, string>)['uid']).toBe((created.body['metadata'] as Record<string, string>)['uid']);
  });

  it('an update that changes nothing keeps the resourceVersion', async () => {
    const created = await apiRequest(url, 'POST', CMS, { body: cm('same') });
    const again = await apiRequest(url, 'PUT', `${CMS}/same`, { body: created.body });
    expect(again.status).toBe(200);
    expect((again.body['metadata'] as Record<string, string>)['resourceVersion']).toBe((created.body['metadata'] as Record<string, string>)['resourceVersion']);
  });

  it('PUT of a missing object is 404 (no create on update)', async () => {
    const r = await apiRequest(url, 'PUT', `${CMS}/ghost`, { body: cm('ghost') });
    expect(r.status).toBe(404);
  });

  it('DELETE takes DeleteOptions and answers a Success Status; preconditions are checked', async () => {
    const created = await apiRequest(url, 'POST', CMS, { body: cm('d1') });
    const uid = (created.body['metadata'] as Record<string, string>)['uid'];
    const wrong = await apiRequest(url, 'DELETE', `${CMS}/d1`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'other' } } });
    expect(wrong.status).toBe(409);
    expect(wrong.body['message']).toContain('Precondition failed: UID in precondition: other');
    const dry = await apiRequest(url, 'DELETE', `${CMS}/d1?dryRun=All`);
    expect(dry.status).toBe(200);
    expect((await apiRequest(url, 'GET', `${CMS}/d1`)).status).toBe(200);
    const r = await apiRequest(url, 'DELETE', `${CMS}/d1`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', preconditions: { uid } } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'd1', kind: 'configmaps', uid } });
    expect((await apiRequest(url, 'GET', `${CMS}/d1`)).status).toBe(404);
  });

  it('objects need an existing namespace; deleting a namespace deletes its contents; system namespaces stay', async () => {
    const missing = await apiRequest(url, 'POST', '/api/v1/namespaces/nowhere/configmaps', { body: cm('x') });
    expect(missing.status).toBe(404);
    expect(missing.body['message']).toBe('namespaces "nowhere" not found');
    expect((await apiRequest(url, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'team' } } })).status).toBe(201);
    expect((await apiRequest(url, 'POST', '/api/v1/namespaces/team/configmaps', { body: cm('x') })).status).toBe(201);
    expect((await apiRequest(url, 'DELETE', '/api/v1/namespaces/team')).status).toBe(200);
    expect((await apiRequest(url, 'GET', '/api/v1/namespaces/team/configmaps/x')).status).toBe(404);
    const sys = await apiRequest(url, 'DELETE', '/api/v1/namespaces/kube-system');
    expect(sys.status).toBe(403);
    expect(sys.body['reason']).toBe('Forbidden');
  });

  it('dryRun create validates without storing', async () => {
    const r = await apiRequest(url, 'POST', `${CMS}?dryRun=All&fieldManager=test`, { body: cm('dry') });
    expect(r.status).toBe(201);
    expect((await apiRequest(url, 'GET', `${CMS}/dry`)).status).toBe(404);
    expect((await apiRequest(url, 'POST', `${CMS}?dryRun=Some`, { body: cm('dry') })).status).toBe(400);
  });

  it('generateName makes a unique name', async () => {
    const r = await apiRequest(url, 'POST', CMS, { body: { metadata: { generateName: 'gen-' }, data: {} } });
    expect(r.status).toBe(201);
    expect((r.body['metadata'] as Record<string, string>)['name']).toMatch(/^gen-[a-z0-9]{5}$/);
  });
});

describe('bad input gets the right Status, never a 500', () => {
  it('malformed JSON is 400', async () => {
    const r = await apiRequest(url, 'POST', CMS, { rawBody: '{"metadata": ' });
    expect(r.status).toBe(400);
    expect(r.body['reason']).toBe('BadRequest');
  });
  it('a body over the limit is 413', async () => {
    const big = await startFakeKvApiserver({ bodyLimitBytes: 2048 });
    try {
      const r = await apiRequest(big.server.url, 'POST', CMS, { body: cm('big', { a: 'x'.repeat(4096) }) });
      expect(r.status).toBe(413);
      expect(r.body).toMatchObject({ reason: 'RequestEntityTooLarge', message: 'Request entity too large: limit is 2048' });
    } finally {
      await big.close();
    }
  });
  it('kind and apiVersion must match the URL', async () => {
    const k = await apiRequest(url, 'POST', CMS, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'k' } } });
    expect(k.status).toBe(400);
    expect(k.body['message']).toContain('must be of type ConfigMap');
    const v = await apiRequest(url, 'POST', CMS, { body: { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'k' } } });
    expect(v.status).toBe(400);
    expect(v.body['message']).toBe('the API version in the data (apps/v1) does not match the expected API version (v1)');
  });
  it('name and namespace must match the URL', async () => {
    await apiRequest(url, 'POST', CMS, { body: cm('n1') });
    const n = await apiRequest(url, 'PUT', `${CMS}/n1`, { body: cm('other') });
    expect(n.status).toBe(400);
    expect(n.body['message']).toBe('the name of the object (other) does not match the name on the URL (n1)');
    const ns = await apiRequest(url, 'POST', CMS, { body: cm('n2', {}, { namespace: 'kube-system' }) });
    expect(ns.status).toBe(400);
    expect(ns.body['message']).toBe('the namespace of the provided object does not match the namespace sent on the request');
  });
  it('invalid names and fields are 422 Invalid with causes', async () => {
    const r = await apiRequest(url, 'POST', CMS, { body: cm('Bad_Name', { 'bad key': 'v' }) });
    expect(r.status).toBe(422);
    expect(r.body['reason']).toBe('Invalid');
    expect(r.body['message']).toMatch(/^ConfigMap "Bad_Name" is invalid: \[metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const causes = (r.body['details'] as Record<string, unknown>)['causes'] as { field: string }[];
    expect(causes.map((c) => c.field)).toEqual(['metadata.name', 'data[bad key]']);
    const lease = await apiRequest(url, 'POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', { body: { metadata: { name: 'l' }, spec: { leaseDurationSeconds: 0 } } });
    expect(lease.status).toBe(422);
    expect(lease.body['message']).toBe('Lease.coordination.k8s.io "l" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0');
  });
  it('wrong JSON types are 400; unknown fields warn, or fail with fieldValidation=Strict', async () => {
    const t = await apiRequest(url, 'POST', CMS, { body: { metadata: { name: 't' }, data: { a: 5 } } });
    expect(t.status).toBe(400);
    const warn = await apiRequest(url, 'POST', CMS, { body: { metadata: { name: 'w' }, data: {}, spec: { x: 1 } } });
    expect(warn.status).toBe(201);
    expect(String(warn.headers['warning'])).toContain('unknown field \\"spec\\"');
    expect(warn.body['spec']).toBeUndefined();
    const strict = await apiRequest(url, 'POST', `${CMS}?fieldValidation=Strict`, { body: { metadata: { name: 's', bogus: 1 }, data: {} } });
    expect(strict.status).toBe(400);
    expect(strict.body['message']).toBe('strict decoding error: unknown field "metadata.bogus"');
  });
  it('unknown resources and paths are the generic 404; wrong methods 405', async () => {
    expect((await apiRequest(url, 'GET', '/api/v1/namespaces/default/pods')).body).toMatchObject({ reason: 'NotFound', message: 'the server could not find the requested resource' });
    expect((await apiRequest(url, 'GET', '/apis/apps/v1/deployments')).status).toBe(404);
    expect((await apiRequest(url, 'DELETE', CMS)).status).toBe(405);
    expect((await apiRequest(url, 'POST', '/version')).status).toBe(405);
  });
  it('bad selectors and parameters are 400', async () => {
    expect((await apiRequest(url, 'GET', `${CMS}?labelSelector=${encodeURIComponent('a in (')}`)).status).toBe(400);
    expect((await apiRequest(url, 'GET', `${CMS}?fieldSelector=spec.x%3D1`)).body['message']).toBe('field label not supported: spec.x');
    expect((await apiRequest(url, 'GET', `${CMS}?limit=abc`)).status).toBe(400);
    expect((await apiRequest(url, 'GET', `${CMS}?continue=garbage`)).status).toBe(400);
    expect((await apiRequest(url, 'GET', `${CMS}?resourceVersion=x`)).status).toBe(400);
  });
  it('a protobuf body that is not one is 400, other content types 415', async () => {
    expect((await apiRequest(url, 'POST', CMS, { rawBody: 'nonsense', contentType: 'application/vnd.kubernetes.protobuf' })).status).toBe(400);
    expect((await apiRequest(url, 'POST', CMS, { rawBody: 'a: b', contentType: 'application/yaml' })).status).toBe(415);
    expect((await apiRequest(url, 'PATCH', `${CMS}/n1`, { rawBody: '{}', contentType: 'application/apply-patch+yaml' })).status).toBe(415);
  });
});

describe('patch', () => {
  it('merge, JSON and strategic merge patches apply to the current object', async () => {
    await apiRequest(url, 'POST', CMS, { body: cm('p', { a: '1', b: '2' }, { labels: { x: 'y' }, finalizers: ['f/one'] }) });
    const merge = await apiRequest(url, 'PATCH', `${CMS}/p`, { body: { data: { a: null, c: '3' } }, contentType: 'application/merge-patch+json' });
    expect(merge.body['data']).toEqual({ b: '2', c: '3' });
    const json = await apiRequest(url, 'PATCH', `${CMS}/p`, { body: [{ op: 'replace', path: '/data/b', value: 'B' }], contentType: 'application/json-patch+json' });
    expect(json.body['data']).toEqual({ b: 'B', c: '3' });
    const failedTest = await apiRequest(url, 'PATCH', `${CMS}/p`, { body: [{ op: 'test', path: '/data/b', value: 'nope' }], contentType: 'application/json-patch+json' });
    expect(failedTest.status).toBe(422);
    // Strategic: finalizers merge as a set (patchStrategy merge), maps merge, null deletes.
    const smp = await apiRequest(url, 'PATCH', `${CMS}/p`, { body: { metadata: { finalizers: ['f/two'], labels: { x: null, z: 'w' } }, data: { c: null } }, contentType: 'application/strategic-merge-patch+json' });
    expect(smp.status).toBe(200);
    expect((smp.body['metadata'] as Record<string, unknown>)['finalizers']).toEqual(['f/one', 'f/two']);
    expect((smp.body['metadata'] as Record<string, unknown>)['labels']).toEqual({ z: 'w' });
    expect(smp.body['data']).toEqual({ b: 'B' });
  });
  it('a patch carrying a stale resourceVersion is a 409', async () => {
    const r = await apiRequest(url, 'PATCH', `${CMS}/p`, { body: { metadata: { resourceVersion: '1' }, data: { q: '1' } }, contentType: 'application/merge-patch+json' });
    expect(r.status).toBe(409);
    expect(r.body['reason']).toBe('Conflict');
  });
  it('a patch may not rename the object', async () => {
    const r = await apiRequest(url, 'PATCH', `${CMS}/p`, { body: { metadata: { name: 'q' } }, contentType: 'application/merge-patch+json' });
    expect(r.status).toBe(400);
  });
});

describe('list', () => {
  it('pages with limit/continue, every page at the first page\'s revision', async () => {
    for (let i = 0; i < 5; i++) await apiRequest(url, 'POST', '/api/v1/namespaces/kube-system/configmaps', { body: cm(`page-${i}`, { i: String(i) }, { labels: { paged: 'yes' } }) });
    const first = await apiRequest(url, 'GET', '/api/v1/namespaces/kube-system/configmaps?limit=2');
    const meta1 = first.body['metadata'] as Record<string, unknown>;
    expect((first.body['items'] as unknown[]).length).toBe(2);
    expect(meta1['remainingItemCount']).toBe(3);
    // A write between pages must not show up in later pages (they read the first page's snapshot).
    await apiRequest(url, 'POST', '/api/v1/namespaces/kube-system/configmaps', { body: cm('page-9') });
    const names: string[] = ((first.body['items'] as Record<string, Record<string, string>>[]).map((o) => o['metadata']!['name']!));
    let cont = meta1['continue'] as string | undefined;
    while (cont !== undefined) {
      const page = await apiRequest(url, 'GET', `/api/v1/namespaces/kube-system/configmaps?limit=2&continue=${encodeURIComponent(cont)}`);
      expect((page.body['metadata'] as Record<string, unknown>)['resourceVersion']).toBe(meta1['resourceVersion']);
      names.push(...(page.body['items'] as Record<string, Record<string, string>>[]).map((o) => o['metadata']!['name']!));
      cont = (page.body['metadata'] as Record<string, string | undefined>)['continue'];
    }
    expect(names).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
  });
  it('label and field selectors filter; all-namespace lists span namespaces', async () => {
    const sel = await apiRequest(url, 'GET', `/api/v1/configmaps?labelSelector=${encodeURIComponent('paged in (yes),!nothing')}&limit=3`);
    expect((sel.body['items'] as unknown[]).length).toBe(3);
    const f = await apiRequest(url, 'GET', `/api/v1/configmaps?fieldSelector=${encodeURIComponent('metadata.namespace=kube-system,metadata.name!=page-0')}&labelSelector=paged`);
    expect((f.body['items'] as Record<string, Record<string, string>>[]).map((o) => o['metadata']!['name'])).toEqual(['page-1', 'page-2', 'page-3', 'page-4']);
    const ns = await apiRequest(url, 'GET', `/api/v1/namespaces?labelSelector=${encodeURIComponent('kubernetes.io/metadata.name=default')}`);
    expect((ns.body['items'] as unknown[]).length).toBe(1);
  });
  it('Table responses for kubectl get', async () => {
    const r = await apiRequest(url, 'GET', '/api/v1/namespaces/kube-system/configmaps?limit=1', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    expect(r.headers['content-type']).toBe('application/json;as=Table;v=v1;g=meta.k8s.io');
    expect(r.body['kind']).toBe('Table');
    expect((r.body['columnDefinitions'] as { name: string }[]).map((c) => c.name)).toEqual(['Name', 'Data', 'Age']);
    const row = (r.body['rows'] as { cells: unknown[]; object: Record<string, unknown> }[])[0]!;
    expect(row.cells[0]).toBe('page-0');
    expect(row.object['kind']).toBe('PartialObjectMetadata');
    expect((r.body['metadata'] as Record<string, unknown>)['continue']).toBeDefined();
    expect((await apiRequest(url, 'GET', CMS, { accept: 'application/vnd.kubernetes.protobuf' })).status).toBe(406);
  });
  it('a resourceVersion newer than the store is a 504 Timeout; Exact at a compacted one a 410', async () => {
    expect((await apiRequest(url, 'GET', `${CMS}?resourceVersion=99999999`)).status).toBe(504);
    const cur = Number(((await apiRequest(url, 'GET', CMS)).body['metadata'] as Record<string, string>)['resourceVersion']);
    await env.compact(cur);
    const old = await apiRequest(url, 'GET', `${CMS}?resourceVersion=2&resourceVersionMatch=Exact`);
    expect(old.status).toBe(410);
    expect(old.body['reason']).toBe('Expired');
  });
});

describe('watch', () => {
  it('without a resourceVersion: synthetic ADDED for the current state, then changes in order', async () => {
    await apiRequest(url, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'wns' } } });
    await apiRequest(url, 'POST', '/api/v1/namespaces/wns/configmaps', { body: cm('pre') });
    const w = new WatchReader(url, '/api/v1/namespaces/wns/configmaps?watch=1');
    try {
      await w.waitFor('ADDED pre', (e) => e.length >= 1);
      await apiRequest(url, 'PUT', '/api/v1/namespaces/wns/configmaps/pre', { body: cm('pre', { a: 'changed' }) });
      await apiRequest(url, 'POST', '/api/v1/namespaces/wns/configmaps', { body: cm('new') });
      await apiRequest(url, 'DELETE', '/api/v1/namespaces/wns/configmaps/pre');
      await w.waitFor('4 events', (e) => e.length >= 4);
      expect(w.events.map((e) => `${e.type} ${(e.object['metadata'] as Record<string, string>)['name']}`)).toEqual(['ADDED pre', 'MODIFIED pre', 'ADDED new', 'DELETED pre']);
      const rvs = w.events.slice(1).map((e) => Number((e.object['metadata'] as Record<string, string>)['resourceVersion']));
      expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    } finally {
      w.close();
    }
  });
  it('resumes exactly after a resourceVersion, sends bookmarks, and applies selectors as ADDED/DELETED transitions', async () => {
    const a = await apiRequest(url, 'POST', '/api/v1/namespaces/wns/configmaps', { body: cm('sel', { a: '1' }, { labels: { team: 'a' } }) });
    const rv = (a.body['metadata'] as Record<string, string>)['resourceVersion'];
    const w = new WatchReader(url, `/api/v1/namespaces/wns/configmaps?watch=true&resourceVersion=${rv}&labelSelector=team%3Da&allowWatchBookmarks=true`);
    try {
      await w.opened;
      await apiRequest(url, 'PATCH', '/api/v1/namespaces/wns/configmaps/sel', { body: { metadata: { labels: { team: 'b' } } }, contentType: 'application/merge-patch+json' });
      await apiRequest(url, 'PATCH', '/api/v1/namespaces/wns/configmaps/sel', { body: { metadata: { labels: { team: 'a' } } }, contentType: 'application/merge-patch+json' });
      await w.waitFor('DELETED, ADDED and a bookmark', (e) => e.filter((x) => x.type !== 'BOOKMARK').length >= 2 && e.some((x) => x.type === 'BOOKMARK'));
      expect(w.events.filter((x) => x.type !== 'BOOKMARK').map((e) => e.type)).toEqual(['DELETED', 'ADDED']);
      const bm = w.events.find((x) => x.type === 'BOOKMARK')!;
      expect(bm.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });
      expect(Number((bm.object['metadata'] as Record<string, string>)['resourceVersion'])).toBeGreaterThanOrEqual(Number(rv));
    } finally {
      w.close();
    }
  });
  it('a compacted resourceVersion ends the watch with a 410 Expired ERROR event', async () => {
    const cur = Number(((await apiRequest(url, 'GET', CMS)).body['metadata'] as Record<string, string>)['resourceVersion']);
    await env.compact(cur);
    const w = new WatchReader(url, `${CMS}?watch=1&resourceVersion=1`);
    try {
      await w.waitFor('an ERROR event', (e) => e.length >= 1);
      expect(w.events[0]!.type).toBe('ERROR');
      expect(w.events[0]!.object).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
      expect(String(w.events[0]!.object['message'])).toMatch(/^too old resource version: 1/);
    } finally {
      w.close();
    }
  });
});

describe('discovery, version, openapi, health, metrics', () => {
  it('serves the discovery documents kubectl reads', async () => {
    expect((await apiRequest(url, 'GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = await apiRequest(url, 'GET', '/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    expect(groups.headers['content-type']).toBe('application/json');
    expect(groups.body).toMatchObject({ kind: 'APIGroupList', groups: [{ name: 'coordination.k8s.io', preferredVersion: { groupVersion: 'coordination.k8s.io/v1', version: 'v1' } }] });
    const core = await apiRequest(url, 'GET', '/api/v1');
    const cmRes = (core.body['resources'] as Record<string, unknown>[]).find((r) => r['name'] === 'configmaps');
    expect(cmRes).toMatchObject({ kind: 'ConfigMap', namespaced: true, shortNames: ['cm'], singularName: 'configmap' });
    expect((await apiRequest(url, 'GET', '/apis/coordination.k8s.io/v1')).body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'coordination.k8s.io/v1' });
    expect((await apiRequest(url, 'GET', '/version')).body).toMatchObject({ major: '1', minor: '32' });
  });
  it('/openapi/v3 lists fieldValidation on every PATCH (kubectl then validates on the server)', async () => {
    const root = await apiRequest(url, 'GET', '/openapi/v3');
    const paths = root.body['paths'] as Record<string, { serverRelativeURL: string }>;
    expect(Object.keys(paths).sort()).toEqual(['api/v1', 'apis/coordination.k8s.io/v1']);
    const doc = await apiRequest(url, 'GET', paths['api/v1']!.serverRelativeURL);
    const patch = (doc.body['paths'] as Record<string, Record<string, Record<string, unknown>>>)['/api/v1/namespaces/{namespace}/configmaps/{name}']!['patch']!;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'ConfigMap' });
    expect((patch['parameters'] as { name: string }[]).map((p) => p.name)).toContain('fieldValidation');
  });
  it('/livez, /readyz (?verbose), /healthz and /metrics', async () => {
    expect((await apiRequest(url, 'GET', '/livez')).body).toEqual({ text: 'ok' });
    const v = await apiRequest(url, 'GET', '/readyz?verbose');
    expect(v.status).toBe(200);
    expect(v.body['text']).toContain('[+]storage ok');
    await apiRequest(url, 'POST', CMS, { body: cm('metered') });
    const m = await apiRequest(url, 'GET', '/metrics');
    expect(String(m.body['text'])).toMatch(/apiserver_request_total\{verb="POST",resource="configmaps",code="201"\} \d+/);
    expect(String(m.body['text'])).toContain('apiserver_registered_watchers');
  });
  it('/readyz is 503 while the KV does not answer', async () => {
    const env2 = await startFakeKvApiserver({ healthTimeoutMs: 300 });
    try {
      env2.cluster.leaderIndex = undefined;
      await env2.cluster.member(0).kill();
      const r = await apiRequest(env2.server.url, 'GET', '/readyz?verbose');
      expect(r.status).toBe(503);
      expect(r.body['text']).toContain('[-]storage failed');
      expect((await apiRequest(env2.server.url, 'GET', '/livez')).status).toBe(200);
    } finally {
      await env2.close();
    }
  });
});
