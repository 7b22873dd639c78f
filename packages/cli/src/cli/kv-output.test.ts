// Output formatting against etcdctl's shapes: tables, sizes, ids, watch events, json bytes.
import { describe, expect, it } from 'vitest';
import { formatMemberList } from './kv-members.ts';
import { humanBytes } from './kv-endpoint.ts';
import { formatWatchBatch, leaseHex, memberHex, toJson } from './kv-output.ts';
import { formatTable } from './table.ts';
import { durationMs, parseHexId } from './kv-flags.ts';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const kv = (key: string, value: string, rev: number): { key: Uint8Array; value: Uint8Array; createRevision: number; modRevision: number; version: number; lease: number } => ({ key: b(key), value: b(value), createRevision: rev, modRevision: rev, version: 1, lease: 0 });

describe('formatting', () => {
  it('boxes tables like tablewriter', () => {
    expect(formatTable(['id', 'name'], [['8e9e05c52164694d', 'infra1']])).toBe(
      ['+------------------+--------+', '|        ID        |  NAME  |', '+------------------+--------+', '| 8e9e05c52164694d | infra1 |', '+------------------+--------+', ''].join('\n'),
    );
  });

  it('prints sizes as go-humanize does', () => {
    expect(humanBytes(5)).toBe('5 B');
    expect(humanBytes(2048)).toBe('2.0 kB');
    expect(humanBytes(20480)).toBe('20 kB');
    expect(humanBytes(25_000_000)).toBe('25 MB');
    expect(humanBytes(1_500_000_000)).toBe('1.5 GB');
  });

  it('prints ids in hex: leases padded to 16 digits, members as %x', () => {
    expect(leaseHex(0x1d77aa9e3826)).toBe('00001d77aa9e3826');
    expect(memberHex(0x8e9e05c52164)).toBe('8e9e05c52164');
    expect(parseHexId('00001d77aa9e3826', 'id')).toBe(0x1d77aa9e3826);
    expect(parseHexId('0xff', 'id')).toBe(255);
    expect(() => parseHexId('ffffffffffffffff', 'id')).toThrow(/out of range/);
  });

  it('prints watch events as etcdctl: type, prev key-value, key-value', () => {
    const header = { clusterId: 1, memberId: 1, revision: 3, raftTerm: 1 };
    const text = formatWatchBatch({ header, progress: false, events: [{ type: 'put', kv: kv('k', 'new', 3), prevKv: kv('k', 'old', 2) }, { type: 'delete', kv: { ...kv('k', '', 4) }, prevKv: undefined }] }, 'simple');
    expect(text).toBe('PUT\nk\nold\nk\nnew\nDELETE\nk\n\n');
  });

  it('prints members like etcdctl member list', () => {
    const members = [{ id: 0x8e9e05c52164, name: 'm0', peerUrls: ['http://a:2380'], clientUrls: ['http://a:2379'], isLearner: false }, { id: 0x1, name: '', peerUrls: ['http://b:2380'], clientUrls: [], isLearner: true }];
    expect(formatMemberList(members, 'simple')).toBe('8e9e05c52164, started, m0, http://a:2380, http://a:2379, false\n1, unstarted, , http://b:2380, , true\n');
  });

  it('encodes bytes as base64 in json', () => {
    expect(toJson({ key: b('a'), nested: [Buffer.from('b')] })).toBe('{"key":"YQ==","nested":["Yg=="]}\n');
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
