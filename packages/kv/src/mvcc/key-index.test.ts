import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyIndex } from './key-index.ts';

describe('KeyIndex', () => {
  it('keeps keys sorted bytewise and answers ranges like a sorted array (model check)', () => {
    // Invariant: after any sequence of inserts and deletes, the index holds exactly the model set, in
    // ascending order, and range(start, end) equals the model filtered to [start, end).
    const key = fc.string({ unit: fc.constantFrom('a', 'b', '\x00', '\xff'), maxLength: 4 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), key), { maxLength: 300 }), key, fc.option(key, { nil: undefined }), (ops, start, end) => {
        const index = new KeyIndex();
        const model = new Set<string>();
        for (const [insert, k] of ops) {
          if (insert) expect(index.insert(k)).toBe(!model.has(k));
          else expect(index.delete(k)).toBe(model.has(k));
          if (insert) model.add(k);
          else model.delete(k);
        }
        index.assertValid();
        const sorted = [...model].sort();
        expect([...index.keys()]).toEqual(sorted);
        expect(index.size).toBe(model.size);
        expect([...index.range(start, end)]).toEqual(sorted.filter((k) => k >= start && (end === undefined || k < end)));
        for (const k of sorted) expect(index.has(k)).toBe(true);
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it('splits chunks and stays valid with many keys, in any insertion order', () => {
    const index = new KeyIndex();
    const n = 20_000;
    for (let i = 0; i < n; i++) index.insert(String((i * 7919) % n).padStart(6, '0'));
    index.assertValid();
    expect(index.size).toBe(n);
    expect([...index.range('000100', '000105')]).toEqual(['000100', '000101', '000102', '000103', '000104']);
    for (let i = 0; i < n; i += 2) index.delete(String(i).padStart(6, '0'));
    index.assertValid();
    expect(index.size).toBe(n / 2);
    expect([...index.range('000100', '000105')]).toEqual(['000101', '000103']);
  });
});
