// Output formatting against etcdctl's shapes: tables, sizes, ids, watch events, JSON field names and
// omitted zero fields, `-w fields` lines, Go quoting, --hex.
import { describe, expect, it } from 'vitest';
import type { WatchBatch } from '@halyard/kv-client';
import { argBytes, goQuote, hexEscape } from './kv-bytes.ts';
import { humanBytes } from './kv-endpoint.ts';
import { assertFormat } from './kv-format.ts';
import { durationMs, idHex, parseHexId } from './kv-flags.ts';
import { formatMemberList } from './kv-members.ts';
import { formatGet, formatTxn, formatWatchBatch } from './kv-output.ts';
import { formatTable } from './table.ts';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const kv = (key: string, value: string, rev: number, lease = 0): { key: Uint8Array; value: Uint8Array; createRevision: number; modRevision: number; version: number; lease: number } => ({ key: b(key), value: b(value), createRevision: rev, modRevision: rev, version: 1, lease });
const header = { clusterId: 13455796455940752355 % 2 ** 48, memberId: 443629905751424, revision: 3, raftTerm: 2 };
const simple = { writeOut: 'simple', hex: false } as const;
const text = (o: string | Uint8Array): string => (typeof o === 'string' ? o : Buffer.from(o).toString('utf8'));

describe('formatting', () => {
  it('boxes tables like etcdctl’s tablewriter: centred headers, right-aligned cells', () => {
    expect(formatTable(['id', 'name'], [['8e9e05c52164694d', 'm1']])).toBe(
      ['+------------------+------+', '|        ID        | NAME |', '+------------------+------+', '| 8e9e05c52164694d |   m1 |', '+------------------+------+', ''].join('\n'),
    );
  });

  it('prints sizes as go-humanize does', () => {
    expect(humanBytes(5)).toBe('5 B');
    expect(humanBytes(2048)).toBe('2.0 kB');
    expect(humanBytes(20480)).toBe('20 kB');
    expect(humanBytes(25_000_000)).toBe('25 MB');
    expect(humanBytes(1_500_000_000)).toBe('1.5 GB');
  });

  it('prints every id as 16 hex digits and reads hex ids back', () => {
    expect(idHex(0x1d77aa9e3826)).toBe('00001d77aa9e3826');
    expect(idHex(0x8e9e05c52164)).toBe('00008e9e05c52164');
    expect(parseHexId('00001d77aa9e3826', 'id')).toBe(0x1d77aa9e3826);
    expect(parseHexId('0xff', 'id')).toBe(255);
    expect(() => parseHexId('ffffffffffffffff', 'id')).toThrow(/out of range/);
  });

  it('prints watch events as etcdctl: type, prev key-value, key-value', () => {
    const batch: WatchBatch = { header, progress: false, events: [{ type: 'put', kv: kv('k', 'new', 3), prevKv: kv('k', 'old', 2) }, { type: 'delete', kv: { ...kv('k', '', 4) }, prevKv: undefined }] };
    expect(text(formatWatchBatch(batch, simple))).toBe('PUT\nk\nold\nk\nnew\nDELETE\nk\n\n');
  });

  it('prints members like etcdctl member list: unstarted until a member has published its client URLs', () => {
    const members = [
      { id: 0x8e9e05c52164, name: 'm0', peerUrls: ['http://a:2380'], clientUrls: ['http://a:2379'], isLearner: false },
      // Added as a learner with a name, never started: no client URLs yet.
      { id: 0x1, name: 'm9', peerUrls: ['http://b:2380'], clientUrls: [], isLearner: true },
    ];
    expect(formatMemberList(members, 'simple')).toBe('00008e9e05c52164, started, m0, http://a:2380, http://a:2379, false\n0000000000000001, unstarted, m9, http://b:2380, , true\n');
  });

  it('reads Go-style durations only', () => {
    expect(durationMs('5s', 'x')).toBe(5000);
    expect(durationMs('250ms', 'x')).toBe(250);
    expect(durationMs('1.5s', 'x')).toBe(1500);
    expect(durationMs('1m', 'x')).toBe(60_000);
    expect(() => durationMs('5', 'x')).toThrow(/duration/);
    expect(() => durationMs('0s', 'x')).toThrow(/positive/);
  });
});

describe('bytes', () => {
  it('writes keys and values exactly as stored, invalid UTF-8 included', () => {
    const out = formatGet({ header, kvs: [{ ...kv('k', '', 2), value: new Uint8Array([0xff, 0xfe, 0x0a]) }], more: false, count: 1, type: 'range' }, simple);
    expect(Buffer.from(out as Uint8Array)).toEqual(Buffer.from([0x6b, 0x0a, 0xff, 0xfe, 0x0a, 0x0a]));
  });

  it('--hex prints \\x escapes as etcdctl and reads them back; anything else stays as typed', () => {
    expect(hexEscape(new Uint8Array([0x62, 0x69, 0x6e, 0xff]))).toBe('\\x62\\x69\\x6e\\xff');
    expect(text(formatGet({ header, kvs: [kv('bin', '\u00ff', 2)], more: false, count: 1, type: 'range' }, { writeOut: 'simple', hex: true }))).toBe('\\x62\\x69\\x6e\n\\xc3\\xbf\n');
    expect([...argBytes('\\x00\\xFF\\x41', true)]).toEqual([0, 255, 65]);
    expect([...argBytes('\\x00\\xFF\\x41', false)]).toEqual([...b('\\x00\\xFF\\x41')]);
    expect([...argBytes('foo', true)]).toEqual([...b('foo')]);
    expect([...argBytes('\\x0', true)]).toEqual([...b('\\x0')]);
  });

  it('quotes as Go’s %q (what etcdctl’s -w fields prints)', () => {
    expect(goQuote(b('foo'))).toBe('"foo"');
    expect(goQuote(new Uint8Array([0xff, 0xfe]))).toBe('"\\xff\\xfe"');
    expect(goQuote(b('a"b\\c\n\t\u0007\u007f'))).toBe('"a\\"b\\\\c\\n\\t\\a\\x7f"');
    expect(goQuote(b('héllo ☃ 😀'))).toBe('"héllo ☃ 😀"');
    expect(goQuote(b('\u00a0\u200b'))).toBe('"\\u00a0\\u200b"');
    // Truncated and overlong sequences are invalid bytes, one \x each.
    expect(goQuote(new Uint8Array([0xe2, 0x82]))).toBe('"\\xe2\\x82"');
    expect(goQuote(new Uint8Array([0xc0, 0xaf]))).toBe('"\\xc0\\xaf"');
  });
});

describe('json and fields, in etcdctl’s shapes', () => {
  it('get: snake_case names, base64 bytes, zero fields left out (Go omitempty)', () => {
    const json = text(formatGet({ header, kvs: [kv('foo', 'bar', 2), kv('l', '', 3, 0x1234)], more: false, count: 2, type: 'range' }, { writeOut: 'json', hex: false }));
    expect(JSON.parse(json)).toEqual({
      header: { cluster_id: header.clusterId, member_id: header.memberId, revision: 3, raft_term: 2 },
      kvs: [
        { key: 'Zm9v', create_revision: 2, mod_revision: 2, version: 1, value: 'YmFy' },
        { key: 'bA==', create_revision: 3, mod_revision: 3, version: 1, lease: 0x1234 },
      ],
      count: 2,
    });
    // Field order as etcd's structs.
    expect(Object.keys((JSON.parse(json) as { kvs: object[] }).kvs[0] as object)).toEqual(['key', 'create_revision', 'mod_revision', 'version', 'value']);
    expect(JSON.parse(text(formatGet({ header, kvs: [], more: false, count: 0, type: 'range' }, { writeOut: 'json', hex: false })))).toEqual({ header: { cluster_id: header.clusterId, member_id: header.memberId, revision: 3, raft_term: 2 } });
  });

  it('txn: responses as Go’s oneof wrapper, inner headers with the revision only', () => {
    const json = JSON.parse(text(formatTxn({ type: 'txn', header, succeeded: true, responses: [{ type: 'put', header: { revision: 6 } }, { type: 'range', header: { revision: 6 }, kvs: [kv('foo', 'x', 6)], more: false, count: 1 }, { type: 'deleteRange', header: { revision: 6 }, deleted: 0, prevKvs: [] }] }, { writeOut: 'json', hex: false }))) as unknown;
    expect(json).toEqual({
      header: { cluster_id: header.clusterId, member_id: header.memberId, revision: 3, raft_term: 2 },
      succeeded: true,
      responses: [
        { Response: { ResponsePut: { header: { revision: 6 } } } },
        { Response: { ResponseRange: { header: { revision: 6 }, kvs: [{ key: 'Zm9v', create_revision: 6, mod_revision: 6, version: 1, value: 'eA==' }], count: 1 } } },
        { Response: { ResponseDeleteRange: { header: { revision: 6 } } } },
      ],
    });
  });

  it('watch: clientv3.WatchResponse field names; a delete event has type 1 and only key and mod_revision', () => {
    const del: WatchBatch = { header, progress: false, events: [{ type: 'delete', kv: { key: b('w1'), value: new Uint8Array(0), createRevision: 0, modRevision: 12, version: 0, lease: 0 }, prevKv: kv('w1', 'b', 11) }] };
    expect(JSON.parse(text(formatWatchBatch(del, { writeOut: 'json', hex: false })))).toEqual({
      Header: { cluster_id: header.clusterId, member_id: header.memberId, revision: 3, raft_term: 2 },
      Events: [{ type: 1, kv: { key: 'dzE=', mod_revision: 12 }, prev_kv: { key: 'dzE=', create_revision: 11, mod_revision: 11, version: 1, value: 'Yg==' } }],
      CompactRevision: 0,
      Canceled: false,
      Created: false,
    });
    expect(text(formatWatchBatch(del, { writeOut: 'fields', hex: false }))).toBe(
      [`"ClusterID" : ${header.clusterId}`, `"MemberID" : ${header.memberId}`, '"Revision" : 3', '"RaftTerm" : 2', '"Type" : DELETE', '"PrevKey" : "w1"', '"PrevCreateRevision" : 11', '"PrevModRevision" : 11', '"PrevVersion" : 1', '"PrevValue" : "b"', '"PrevLease" : 0', '"Key" : "w1"', '"CreateRevision" : 0', '"ModRevision" : 12', '"Version" : 0', '"Value" : ""', '"Lease" : 0', ''].join('\n'),
    );
  });

  it('get -w fields: etcdctl’s lines, bytes Go-quoted', () => {
    expect(text(formatGet({ header, kvs: [{ ...kv('bin', '', 16), value: new Uint8Array([0xff, 0xfe]) }], more: false, count: 1, type: 'range' }, { writeOut: 'fields', hex: false }))).toBe(
      [`"ClusterID" : ${header.clusterId}`, `"MemberID" : ${header.memberId}`, '"Revision" : 3', '"RaftTerm" : 2', '"Key" : "bin"', '"CreateRevision" : 16', '"ModRevision" : 16', '"Version" : 1', '"Value" : "\\xff\\xfe"', '"Lease" : 0', '"More" : false', '"Count" : 1', ''].join('\n'),
    );
  });

  it('refuses the formats etcdctl refuses, with its message', () => {
    expect(() => assertFormat('table', 'txn')).toThrow('table not supported as output format');
    expect(() => assertFormat('table', 'put')).toThrow('table not supported as output format');
    expect(() => assertFormat('fields', 'memberAdd')).toThrow('fields not supported as output format');
    expect(() => assertFormat('table', 'memberList')).not.toThrow();
    expect(() => assertFormat('json', 'txn')).not.toThrow();
  });
});
