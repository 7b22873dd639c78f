// Conversion of friendly inputs to wire requests: range selectors, operator symbols, nested txns.
import { describe, expect, it } from 'vitest';
import { decodeTxn } from '../protocol/decode.ts';
import { normalizeEndpoint, wsUrlOf } from './endpoints.ts';
import { compare, deleteParams, op, rangeParams, txnParams } from './requests.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('request conversion', () => {
  it('computes rangeEnd from prefix and fromKey as clientv3 does', () => {
    expect(rangeParams('a/', { prefix: true }).rangeEnd).toEqual(bytes('a0'));
    expect(rangeParams(new Uint8Array([0x61, 0xff]), { prefix: true }).rangeEnd).toEqual(bytes('b'));
    expect(rangeParams('', { prefix: true })).toEqual({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) });
    expect(rangeParams('', { fromKey: true })).toEqual({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) });
    expect(rangeParams('k', { fromKey: true }).rangeEnd).toEqual(new Uint8Array([0]));
    expect(deleteParams('a', { rangeEnd: 'c' }).rangeEnd).toEqual(bytes('c'));
    expect('rangeEnd' in rangeParams('k')).toBe(false);
  });

  it('maps operator symbols and builds txns the server decoder accepts', () => {
    const txn = txnParams({
      compare: [compare.value('k', '=', 'v'), compare.version('k', '!=', 0), compare.modRevision('k', '<', 5), compare.createRevision('k', '>', 1), compare.lease('k', 'equal', 0)],
      success: [op.put('k', 'v2', { prevKv: true }), op.get('k', { prefix: true, limit: 2 }), op.delete('k', { fromKey: true }), op.txn({ success: [op.get('x')] })],
      failure: [],
    });
    expect(txn.compare.map((c) => c.result)).toEqual(['equal', 'notEqual', 'less', 'greater', 'equal']);
    expect(decodeTxn(txn, 'params')).toEqual(txn);
  });

  it('normalizes endpoints and derives the WebSocket URL', () => {
    expect(normalizeEndpoint('127.0.0.1:2379')).toBe('http://127.0.0.1:2379');
    expect(normalizeEndpoint('http://127.0.0.1:2379/')).toBe('http://127.0.0.1:2379');
    expect(normalizeEndpoint('ws://localhost:1')).toBe('http://localhost:1');
    expect(wsUrlOf('http://127.0.0.1:2379')).toBe('ws://127.0.0.1:2379/');
    expect(wsUrlOf('https://h:1')).toBe('wss://h:1/');
    expect(() => normalizeEndpoint('http://nohost')).toThrow(/port/);
    expect(() => normalizeEndpoint('ftp://h:1')).toThrow(/http/);
  });
});
