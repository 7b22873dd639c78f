// Strategic merge patch as kubectl's client-side apply sends it, case by case (directives from
// k8s.io/apimachinery/pkg/util/strategicpatch).
import { describe, expect, it } from 'vitest';
import { configMaps } from '../registry/builtin/configmaps.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';

const schema = configMaps.schema;
const base = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { a: '1', b: '2' }, finalizers: ['f/1', 'f/2'], ownerReferences: [{ uid: 'u1', name: 'one', kind: 'K', apiVersion: 'v1' }, { uid: 'u2', name: 'two', kind: 'K', apiVersion: 'v1' }] }, data: { k1: 'v1', k2: 'v2' } };

describe('strategic merge patch', () => {
  it('merges maps and deletes keys set to null (apply removing a key)', () => {
    const out = applyStrategicMergePatch(base, { data: { k2: null, k3: 'v3' }, metadata: { labels: { a: null } } }, schema);
    expect(out['data']).toEqual({ k1: 'v1', k3: 'v3' });
    expect((out['metadata'] as Record<string, unknown>)['labels']).toEqual({ b: '2' });
  });
  it('merges lists with patchStrategy merge: scalars as a set, objects by merge key; $patch: delete removes one', () => {
    const out = applyStrategicMergePatch(base, { metadata: { finalizers: ['f/3', 'f/1'], ownerReferences: [{ uid: 'u2', name: 'renamed' }, { uid: 'u1', $patch: 'delete' }, { uid: 'u3', name: 'three', kind: 'K', apiVersion: 'v1' }] } }, schema);
    const m = out['metadata'] as Record<string, unknown>;
    expect(m['finalizers']).toEqual(['f/1', 'f/2', 'f/3']);
    expect(m['ownerReferences']).toEqual([{ uid: 'u2', name: 'renamed', kind: 'K', apiVersion: 'v1' }, { uid: 'u3', name: 'three', kind: 'K', apiVersion: 'v1' }]);
  });
  it('$deleteFromPrimitiveList and $setElementOrder', () => {
    const out = applyStrategicMergePatch(base, { metadata: { '$deleteFromPrimitiveList/finalizers': ['f/1'], '$setElementOrder/finalizers': ['f/3', 'f/2'], finalizers: ['f/3'] } }, schema);
    expect((out['metadata'] as Record<string, unknown>)['finalizers']).toEqual(['f/3', 'f/2']);
  });
  it('$patch: replace replaces a map; $retainKeys drops the others', () => {
    expect(applyStrategicMergePatch(base, { data: { $patch: 'replace', only: 'this' } }, schema)['data']).toEqual({ only: 'this' });
    expect(applyStrategicMergePatch(base, { data: { $retainKeys: ['k1'], k1: 'new' } }, schema)['data']).toEqual({ k1: 'new' });
  });
  it('lists without a strategy are replaced; unknown directives are a 400', () => {
    const ns = { spec: { finalizers: ['kubernetes'] } };
    expect(applyStrategicMergePatch(ns, { spec: { finalizers: ['other'] } }, schema)).toEqual({ spec: { finalizers: ['other'] } });
    expect(() => applyStrategicMergePatch(base, { data: { $patch: 'explode' } }, schema)).toThrow(/unknown patch type/);
  });
});
