// `-w json` in etcdctl's shapes, field for field, so scripts written against etcdctl's JSON read ours:
// etcd's protobuf JSON names (`cluster_id`, `create_revision`, `prev_kvs`…), fields at their zero value
// left out (Go's omitempty), bytes as base64, clientv3's wrapper types where etcdctl prints those
// (lease responses inline the header; watch responses use Go field names). Checked against etcdctl 3.4.
import type { DeleteResult, Header, KeyValue, LeaseGrantResult, LeaseKeepAliveResult, LeaseLeasesResult, LeaseTimeToLiveResult, Member, PutResult, RangeResult, StatusResult, TxnResult, WatchBatch } from '@halyard/kv-client';
import type { ResponseOp } from '@halyard/kv-client/protocol';

type Json = Record<string, unknown>;

/** Go's json.Marshal of the value: also escapes <, > and & (and U+2028/9) inside strings, as Go does. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}

/** Go's omitempty: drops zero numbers, false, empty strings, empty arrays and absent values. */
function omitEmpty(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === 0 || v === false || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}

const base64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** etcdserverpb.ResponseHeader. */
export function headerJson(h: Partial<Header>): Json {
  return omitEmpty({ cluster_id: h.clusterId, member_id: h.memberId, revision: h.revision, raft_term: h.raftTerm });
}

/** mvccpb.KeyValue. */
export function kvJson(kv: KeyValue): Json {
  return omitEmpty({ key: base64(kv.key), create_revision: kv.createRevision, mod_revision: kv.modRevision, version: kv.version, value: base64(kv.value), lease: kv.lease });
}

export function rangeJson(r: Pick<RangeResult, 'kvs' | 'more' | 'count'> & { header: Partial<Header> }): Json {
  return { header: headerJson(r.header), ...omitEmpty({ kvs: r.kvs.map(kvJson), more: r.more, count: r.count }) };
}

export function putJson(r: Pick<PutResult, 'prevKv'> & { header: Partial<Header> }): Json {
  return { header: headerJson(r.header), ...omitEmpty({ prev_kv: r.prevKv !== undefined ? kvJson(r.prevKv) : undefined }) };
}

export function deleteJson(r: Pick<DeleteResult, 'deleted' | 'prevKvs'> & { header: Partial<Header> }): Json {
  return { header: headerJson(r.header), ...omitEmpty({ deleted: r.deleted, prev_kvs: r.prevKvs.map(kvJson) }) };
}

/** etcdserverpb.ResponseOp: the oneof prints as Go's wrapper struct, {"Response":{"ResponsePut":{…}}}. */
function responseOpJson(r: ResponseOp): Json {
  switch (r.type) {
    case 'range':
      return { Response: { ResponseRange: rangeJson(r) } };
    case 'put':
      return { Response: { ResponsePut: putJson(r) } };
    case 'deleteRange':
      return { Response: { ResponseDeleteRange: deleteJson(r) } };
    case 'txn':
      return { Response: { ResponseTxn: txnJson(r) } };
    default: {
      const never: never = r;
      throw new Error(`unknown txn response ${JSON.stringify(never)}`);
    }
  }
}

export function txnJson(r: Pick<TxnResult, 'succeeded' | 'responses'> & { header: Partial<Header> }): Json {
  return { header: headerJson(r.header), ...omitEmpty({ succeeded: r.succeeded, responses: r.responses.map(responseOpJson) }) };
}

/** clientv3.WatchResponse: Go field names, no omitempty; mvccpb.Event's type is PUT = 0 (left out), DELETE = 1. */
export function watchJson(b: WatchBatch): Json {
  return {
    Header: headerJson(b.header),
    Events: b.events.length === 0 ? null : b.events.map((e) => omitEmpty({ type: e.type === 'delete' ? 1 : 0, kv: kvJson(e.kv), prev_kv: e.prevKv !== undefined ? kvJson(e.prevKv) : undefined })),
    CompactRevision: 0,
    Canceled: false,
    Created: false,
  };
}

/** clientv3.LeaseGrantResponse: the header inlined, then Go field names. */
export function leaseGrantJson(r: LeaseGrantResult): Json {
  return { ...headerJson(r.header), ID: r.id, TTL: r.ttlSeconds, Error: '' };
}

export function leaseKeepAliveJson(r: LeaseKeepAliveResult): Json {
  return { ...headerJson(r.header), ID: r.id, TTL: r.ttlSeconds };
}

/** clientv3.LeaseTimeToLiveResponse; an expired or unknown lease is ttl −1, granted-ttl 0, as etcd answers. */
export function leaseTimeToLiveJson(r: Pick<LeaseTimeToLiveResult, 'id' | 'ttlSeconds' | 'grantedTtlSeconds' | 'keys'> & { header: Partial<Header> }): Json {
  return { ...headerJson(r.header), id: r.id, ttl: r.ttlSeconds, 'granted-ttl': r.grantedTtlSeconds, keys: r.keys.length === 0 ? null : r.keys.map(base64) };
}

export function leaseListJson(r: LeaseLeasesResult): Json {
  return { ...headerJson(r.header), leases: r.leases.map((l) => ({ id: l.id })) };
}

/** etcdserverpb.Member (its JSON names are camelCase in etcd's proto: peerURLs, clientURLs, isLearner). */
export function memberJson(m: Member): Json {
  return omitEmpty({ ID: m.id, name: m.name, peerURLs: [...m.peerUrls], clientURLs: [...m.clientUrls], isLearner: m.isLearner });
}

export function membersJson(r: { header: Header; members: readonly Member[]; member?: Member }): Json {
  return { header: headerJson({ ...r.header, revision: 0 }), ...omitEmpty({ member: r.member !== undefined ? memberJson(r.member) : undefined, members: r.members.map(memberJson) }) };
}

/** etcdserverpb.StatusResponse, as etcdctl's `endpoint status -w json` nests it under "Status". */
export function statusJson(s: StatusResult): Json {
  return {
    header: headerJson(s.header),
    ...omitEmpty({
      version: s.version,
      dbSize: s.dbSizeBytes,
      leader: s.leader,
      raftIndex: s.raftIndex,
      raftTerm: s.raftTerm,
      raftAppliedIndex: s.raftAppliedIndex,
      errors: [...s.errors],
      // Everything on disk is in use: LevelDB reclaims space itself (see `defrag`).
      dbSizeInUse: s.dbSizeBytes,
      isLearner: s.isLearner,
    }),
  };
}

/** etcdserverpb.HashKVResponse. */
export function hashKvJson(r: { header: Header; hash: number; compactRevision: number; hashRevision: number }): Json {
  return { header: headerJson(r.header), ...omitEmpty({ hash: r.hash, compact_revision: r.compactRevision, hash_revision: r.hashRevision }) };
}
