// `-w fields`: etcdctl's fieldsPrinter (3.5's lines; 3.6 only adds some), one `"Name" : value` line per field, keys and values Go-quoted,
// so `grep '"Revision"'` and friends work as with etcdctl. With --hex, ids print in hex as etcdctl does.
import type { DeleteResult, Header, KeyValue, LeaseGrantResult, LeaseKeepAliveResult, LeaseLeasesResult, LeaseTimeToLiveResult, Member, PutResult, RangeResult, StatusResult, TxnResult, WatchBatch } from '@halyard/kv-client';
import type { ResponseOp } from '@halyard/kv-client/protocol';
import { goQuote } from './kv-bytes.ts';
import { idHex } from './kv-flags.ts';

const quoteText = (s: string): string => goQuote(Buffer.from(s, 'utf8'));

export class FieldsPrinter {
  private readonly lines: string[] = [];

  constructor(private readonly hex: boolean) {}

  text(): string {
    return this.lines.map((l) => `${l}\n`).join('');
  }

  private line(name: string, value: string | number | boolean): void {
    this.lines.push(`"${name}" : ${String(value)}`);
  }

  private id(name: string, id: number, pad: boolean): void {
    this.line(name, this.hex ? (pad ? idHex(id) : id.toString(16)) : id);
  }

  header(h: Partial<Header>): void {
    this.id('ClusterID', h.clusterId ?? 0, false);
    this.id('MemberID', h.memberId ?? 0, false);
    // As etcdctl 3.4 and 3.5 (3.6 leaves a zero revision out, e.g. of member lists).
    this.line('Revision', h.revision ?? 0);
    this.line('RaftTerm', h.raftTerm ?? 0);
  }

  kv(prefix: string, kv: KeyValue): void {
    this.line(`${prefix}Key`, goQuote(kv.key));
    this.line(`${prefix}CreateRevision`, kv.createRevision);
    this.line(`${prefix}ModRevision`, kv.modRevision);
    this.line(`${prefix}Version`, kv.version);
    this.line(`${prefix}Value`, goQuote(kv.value));
    this.id(`${prefix}Lease`, kv.lease, true);
  }

  get(r: Pick<RangeResult, 'kvs' | 'more' | 'count'> & { header: Partial<Header> }): void {
    this.header(r.header);
    for (const kv of r.kvs) this.kv('', kv);
    this.line('More', r.more);
    this.line('Count', r.count);
  }

  put(r: Pick<PutResult, 'prevKv'> & { header: Partial<Header> }): void {
    this.header(r.header);
    if (r.prevKv !== undefined) this.kv('Prev', r.prevKv);
  }

  del(r: Pick<DeleteResult, 'deleted' | 'prevKvs'> & { header: Partial<Header> }): void {
    this.header(r.header);
    this.line('Deleted', r.deleted);
    for (const kv of r.prevKvs) this.kv('Prev', kv);
  }

  txn(r: Pick<TxnResult, 'succeeded' | 'responses'> & { header: Partial<Header> }): void {
    this.header(r.header);
    this.line('Succeeded', r.succeeded);
    for (const op of r.responses) this.responseOp(op);
  }

  private responseOp(op: ResponseOp): void {
    switch (op.type) {
      case 'range':
        return this.get(op);
      case 'put':
        return this.put(op);
      case 'deleteRange':
        return this.del(op);
      case 'txn':
        return this.txn(op);
      default: {
        const never: never = op;
        this.line('Unknown', quoteText(JSON.stringify(never)));
      }
    }
  }

  watch(b: WatchBatch): void {
    this.header(b.header);
    for (const e of b.events) {
      this.line('Type', e.type === 'put' ? 'PUT' : 'DELETE');
      if (e.prevKv !== undefined) this.kv('Prev', e.prevKv);
      this.kv('', e.kv);
    }
  }

  leaseGrant(r: LeaseGrantResult): void {
    this.header(r.header);
    this.id('ID', r.id, true);
    this.line('TTL', r.ttlSeconds);
  }

  leaseRevoke(r: { header: Header }): void {
    this.header(r.header);
  }

  leaseKeepAlive(r: LeaseKeepAliveResult): void {
    this.leaseGrant(r);
  }

  leaseTimeToLive(r: Pick<LeaseTimeToLiveResult, 'id' | 'ttlSeconds' | 'grantedTtlSeconds' | 'keys'> & { header: Partial<Header> }): void {
    this.header(r.header);
    this.id('ID', r.id, true);
    this.line('TTL', r.ttlSeconds);
    this.line('GrantedTTL', r.grantedTtlSeconds);
    for (const k of r.keys) this.line('Key', goQuote(k));
  }

  leaseList(r: LeaseLeasesResult): void {
    this.header(r.header);
    for (const l of r.leases) this.id('ID', l.id, true);
  }

  memberList(r: { header: Header; members: readonly Member[] }): void {
    this.header({ ...r.header, revision: 0 });
    for (const m of r.members) {
      this.id('ID', m.id, false);
      this.line('Name', quoteText(m.name));
      for (const u of m.peerUrls) this.line('PeerURL', quoteText(u));
      for (const u of m.clientUrls) this.line('ClientURL', quoteText(u));
      this.line('IsLearner', m.isLearner);
      this.lines.push('');
    }
  }

  endpointHealth(rows: readonly { endpoint: string; health: boolean; took: string; error?: string }[]): void {
    for (const h of rows) {
      this.line('Endpoint', quoteText(h.endpoint));
      this.line('Health', h.health);
      this.line('Took', h.took);
      this.line('Error', h.error ?? '');
      this.lines.push('');
    }
  }

  endpointStatus(rows: readonly { endpoint: string; status: StatusResult }[]): void {
    for (const { endpoint, status: s } of rows) {
      this.header(s.header);
      this.line('Version', quoteText(s.version));
      this.line('DBSize', s.dbSizeBytes);
      this.line('DBSizeInUse', s.dbSizeBytes);
      this.line('Leader', s.leader);
      this.line('IsLearner', s.isLearner);
      this.line('RaftIndex', s.raftIndex);
      this.line('RaftTerm', s.raftTerm);
      this.line('RaftAppliedIndex', s.raftAppliedIndex);
      this.line('Errors', `[${s.errors.join(' ')}]`);
      this.line('Endpoint', quoteText(endpoint));
      this.lines.push('');
    }
  }

  endpointHashKv(rows: readonly { endpoint: string; header: Header; hash: number; hashRevision: number }[]): void {
    for (const h of rows) {
      this.header(h.header);
      this.line('Endpoint', quoteText(h.endpoint));
      this.line('Hash', h.hash);
      this.line('HashRevision', h.hashRevision);
      this.lines.push('');
    }
  }

  snapshotStatus(s: { hash: number; revision: number; totalKeys: number; totalSizeBytes: number; version: string }): void {
    this.line('Hash', s.hash);
    this.line('Revision', s.revision);
    this.line('Keys', s.totalKeys);
    this.line('Size', s.totalSizeBytes);
    this.line('Version', s.version);
  }
}
