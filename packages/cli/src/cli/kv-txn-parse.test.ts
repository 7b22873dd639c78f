// etcdctl's txn input format: sections, compare targets and operators, quoting, op flags, errors.
import { describe, expect, it } from 'vitest';
import { UsageError } from './kv-flags.ts';
import { parseCompare, parseOp, parseTxn, splitWords } from './kv-txn-parse.ts';

describe('parseTxn', () => {
  it('reads compares, success and failure separated by blank lines', () => {
    const txn = parseTxn('mod("key1") > "0"\nval("key1") = "a b"\n\nput key1 "x y"\nget key1\n\ndel key2 --prefix\n\n\n');
    expect(txn.compare).toEqual([
      { key: 'key1', result: '>', target: 'modRevision', operand: 0 },
      { key: 'key1', result: '=', target: 'value', value: 'a b' },
    ]);
    expect(txn.success?.map((o) => o.type)).toEqual(['put', 'range']);
    expect(txn.failure).toEqual([{ type: 'deleteRange', key: 'key2', prefix: true, prevKv: false }]);
  });

  it('allows empty sections (a txn with no compares starts with a blank line)', () => {
    const txn = parseTxn('\nput a b\n');
    expect(txn.compare).toEqual([]);
    expect(txn.success).toHaveLength(1);
    expect(txn.failure).toEqual([]);
    expect(parseTxn('')).toEqual({ compare: [], success: [], failure: [] });
  });

  it('refuses input after the failure section, naming the line', () => {
    expect(() => parseTxn('\n\nput a b\n\nput c d\n')).toThrow(/txn line 5: unexpected input/);
  });
});

describe('parseCompare', () => {
  it('knows every target, short and long', () => {
    expect(parseCompare('ver("k") = "3"')).toMatchObject({ target: 'version', operand: 3, result: '=' });
    expect(parseCompare('version("k") != 3')).toMatchObject({ target: 'version', operand: 3, result: '!=' });
    expect(parseCompare('c("k") < "10"')).toMatchObject({ target: 'createRevision', operand: 10 });
    expect(parseCompare('create("k") > "1"')).toMatchObject({ target: 'createRevision' });
    expect(parseCompare('m("k") = "1"')).toMatchObject({ target: 'modRevision' });
    expect(parseCompare('value("k \\"q\\"") = "v"')).toMatchObject({ key: 'k "q"', target: 'value', value: 'v' });
    expect(parseCompare('lease("k") = "1d77aa9e3826"')).toMatchObject({ target: 'lease', operand: 0x1d77aa9e3826 });
    expect(parseCompare('lease("k") = "0"')).toMatchObject({ target: 'lease', operand: 0 });
  });

  it('explains malformed lines', () => {
    expect(() => parseCompare('mod(key) > 0')).toThrow(UsageError);
    expect(() => parseCompare('foo("k") = "1"')).toThrow(/unknown compare target/);
    expect(() => parseCompare('ver("k") = "x"')).toThrow(/must be an integer/);
    expect(() => parseCompare('ver("k") = "1" "2"')).toThrow(/one operand/);
  });
});

describe('parseOp', () => {
  it('parses put/get/del with their flags', () => {
    expect(parseOp('put k v --lease=1f --prev-kv')).toEqual({ type: 'put', key: 'k', value: 'v', lease: 0x1f, prevKv: true, ignoreValue: false, ignoreLease: false });
    expect(parseOp('get a z --limit 3 --rev=7 --keys-only')).toEqual({ type: 'range', key: 'a', rangeEnd: 'z', limit: 3, revision: 7, keysOnly: true, countOnly: false });
    expect(parseOp('get a --from-key --count-only')).toMatchObject({ fromKey: true, countOnly: true });
    expect(parseOp('delete a --prefix --prev-kv')).toEqual({ type: 'deleteRange', key: 'a', prefix: true, prevKv: true });
  });

  it('refuses unknown verbs, unknown flags and conflicting ranges', () => {
    expect(() => parseOp('inc k')).toThrow(/unknown request "inc"/);
    expect(() => parseOp('get k --bogus')).toThrow(/unknown flag --bogus/);
    expect(() => parseOp('get a b --prefix')).toThrow(/only one of/);
    expect(() => parseOp('put k')).toThrow(/put needs KEY VALUE/);
    expect(() => parseOp('get k --limit')).toThrow(/--limit needs a value/);
  });
});

describe('splitWords', () => {
  it('splits on spaces and honours quotes', () => {
    expect(splitWords(`put "a key" 'lit\\n' "tab\\tnl\\n" plain`)).toEqual(['put', 'a key', 'lit\\n', 'tab\tnl\n', 'plain']);
    expect(splitWords('put k ""')).toEqual(['put', 'k', '']);
  });
});
