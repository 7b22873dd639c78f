// Protobuf request bodies as kubectl's typed clients send them, encoded here by hand from the field numbers
// of k8s.io/api's generated.proto (tag = field << 3 | wire type).
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/status.ts';
import { decodeProtobufBody } from './decode-body.ts';

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const bytesField = (field: number, payload: number[]): number[] => [...varint((field << 3) | 2), ...varint(payload.length), ...payload];
const str = (field: number, s: string): number[] => bytesField(field, [...Buffer.from(s, 'utf8')]);
const entry = (field: number, k: string, v: string): number[] => bytesField(field, [...str(1, k), ...str(2, v)]);

function envelope(apiVersion: string, kind: string, raw: number[]): Buffer {
  return Buffer.from([0x6b, 0x38, 0x73, 0x00, ...bytesField(1, [...str(1, apiVersion), ...str(2, kind)]), ...bytesField(2, raw)]);
}

describe('protobuf bodies', () => {
  it('decodes a ConfigMap (metadata, data map, labels, immutable)', () => {
    const meta = [...str(1, 'cm1'), ...str(3, 'default'), ...entry(11, 'app', 'x')];
    const raw = [...bytesField(1, meta), ...entry(2, 'k', 'v'), ...entry(2, 'k2', 'v2'), ...varint((4 << 3) | 0), 1];
    expect(decodeProtobufBody(envelope('v1', 'ConfigMap', raw))).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1', namespace: 'default', labels: { app: 'x' } }, data: { k: 'v', k2: 'v2' }, immutable: true });
  });
  it('decodes a Lease with MicroTime fields', () => {
    const time = [...varint((1 << 3) | 0), ...varint(1_700_000_000), ...varint((2 << 3) | 0), ...varint(123_456_789)];
    const spec = [...str(1, 'me'), ...varint((2 << 3) | 0), 15, ...bytesField(4, time)];
    const out = decodeProtobufBody(envelope('coordination.k8s.io/v1', 'Lease', [...bytesField(1, str(1, 'l')), ...bytesField(2, spec)]));
    expect(out['spec']).toEqual({ holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: '2023-11-14T22:13:20.123456Z' });
  });
  it('rejects a missing magic, truncated fields and unknown kinds', () => {
    for (const bad of [Buffer.from('{}'), Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x40]), envelope('apps/v1', 'Deployment', [])]) {
      expect(() => decodeProtobufBody(bad)).toThrow(ApiError);
    }
  });
});
