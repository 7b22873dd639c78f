// The client protocol's methods, served by a member: what each request does, independent of how it
// arrived. The client service (client-service.ts) feeds it frames from WebSockets; the simulator feeds it
// the same request shapes from its simulated clients.

import { KvError, type ClientRequest, type Command, type Header, type Methods, type Response } from '@halyard/kv-client/protocol';
import type { Outcome } from './dedupe.ts';
import { type KvMember, VERSION } from './member.ts';
import { memberAddIdOf } from './ids.ts';
import { Lessor } from './lessor.ts';
import { encodeMemberContext } from './payload.ts';
import type { WatchSink } from './watch-hub.ts';
import { hashKv } from './kv-hash.ts';
import { moveLeader } from './leadership.ts';
import { snapshotOf } from './snapshot-file.ts';
import { SnapshotSessions } from './snapshot-sessions.ts';

export class ClientRequests {
  private readonly snapshots = new SnapshotSessions();

  constructor(private readonly member: KvMember) {}

  /** Drop snapshot downloads in progress (the port is closing). */
  close(): void {
    this.snapshots.clear();
  }

  private header(revision?: number): Header {
    return this.member.header(revision);
  }

  private async write(command: Command, requestId: string | undefined): Promise<Response> {
    const outcome: Outcome = await this.member.write(command, requestId);
    if (!outcome.ok) throw KvError.fromWire(outcome.error);
    return outcome.response;
  }

  /** Serve one request; a KvError (or a core error, mapped by toWireError) is its failure. */
  async handle(req: ClientRequest, sink: WatchSink): Promise<Methods[typeof req.method]['result']> {
    const m = this.member;
    switch (req.method) {
      case 'range': {
        const { serializable, ...params } = req.params;
        if (serializable !== true) await m.linearizableBarrier();
        const r = m.sm.mvcc.range(params);
        return { ...r, header: this.header(r.header.revision) };
      }
      case 'put':
      case 'deleteRange':
      case 'txn': {
        const r = await this.write({ type: req.method, ...req.params } as Command, req.requestId);
        return { ...r, header: this.header(r.header.revision) } as Methods[typeof req.method]['result'];
      }
      case 'compact': {
        const r = await this.write({ type: 'compaction', revision: req.params.revision }, req.requestId);
        return { header: this.header(r.header.revision) };
      }
      case 'leaseGrant': {
        const r = await this.write({ type: 'leaseGrant', id: req.params.id ?? 0, ttlSeconds: req.params.ttlSeconds }, req.requestId);
        if (r.type !== 'leaseGrant') throw new KvError('Internal', 'unexpected response to a lease grant');
        return { header: this.header(r.header.revision), id: r.id, ttlSeconds: r.ttlSeconds };
      }
      case 'leaseRevoke': {
        const r = await this.write({ type: 'leaseRevoke', id: req.params.id }, req.requestId);
        return { header: this.header(r.header.revision) };
      }
      case 'leaseKeepAlive': {
        // Only the leader keeps lease time (etcd forwards keep-alives to it; our clients go there).
        m.requireLeader();
        await m.linearizableBarrier();
        const info = m.sm.mvcc.leaseTimeToLive(req.params.id);
        if (!m.lessor.renew(req.params.id, info.grantedTtlSeconds)) {
          // A leader that has not taken over lease expiry yet (etcd's ErrNotPrimary): the client retries.
          if (!m.lessor.isPrimary()) throw new KvError('Unavailable', 'this leader has not taken over the leases yet; retry');
          throw new KvError('LeaseNotFound', 'lease not found');
        }
        // The renewal must survive a leader change: clear a replicated checkpoint, and answer only once that
        // is applied (etcd's Renew waits for its checkpoint too), so an acknowledged keep-alive is durable.
        const clear = Lessor.checkpointClearedByRenewal(info);
        if (clear !== undefined) await this.write(clear, undefined);
        return { header: this.header(), id: req.params.id, ttlSeconds: info.grantedTtlSeconds };
      }
      case 'leaseTimeToLive': {
        m.requireLeader();
        await m.linearizableBarrier();
        const info = m.sm.mvcc.leaseTimeToLive(req.params.id, req.params.keys === true);
        const ttl = m.lessor.remainingSeconds(req.params.id) ?? info.grantedTtlSeconds;
        return { header: this.header(), id: info.id, ttlSeconds: ttl, grantedTtlSeconds: info.grantedTtlSeconds, keys: [...(info.keys ?? [])] };
      }
      case 'leaseLeases': {
        await m.linearizableBarrier();
        return { header: this.header(), leases: m.sm.mvcc.leases().map((l) => ({ id: l.id })) };
      }
      case 'watchCreate':
        return m.watchHub.create(sink, req.params);
      case 'watchCancel': {
        if (!m.watchHub.cancel(req.params.watchId, sink)) throw new KvError('InvalidRequest', `no watcher ${req.params.watchId} on this connection`);
        return { header: this.header() };
      }
      case 'watchProgress': {
        m.watchHub.progress(sink);
        return { header: this.header() };
      }
      case 'memberList': {
        await m.linearizableBarrier();
        return { header: this.header(), members: m.members() };
      }
      case 'memberAdd': {
        const name = req.params.name ?? '';
        const current = m.members();
        if (current.some((x) => x.peerUrls.some((u) => req.params.peerUrls.includes(u)))) {
          throw new KvError('MemberExists', 'a member with these peer URLs already exists');
        }
        const id = memberAddIdOf(name, req.params.peerUrls, m.config.clusterToken, (x) => m.sm.removed.has(x) || current.some((c) => c.id === x));
        await m.changeMembership({
          type: req.params.isLearner === true ? 'addLearner' : 'addVoter',
          nodeId: id,
          context: encodeMemberContext({ name, peerUrls: req.params.peerUrls }),
        });
        const members = m.members();
        const member = members.find((x) => x.id === id);
        if (member === undefined) throw new KvError('Internal', 'added member missing from the member list');
        return { header: this.header(), member, members };
      }
      case 'memberRemove': {
        if (!m.members().some((x) => x.id === req.params.id)) throw new KvError('MemberNotFound', `member ${req.params.id.toString(16)} not found`);
        await m.changeMembership({ type: 'removeNode', nodeId: req.params.id });
        return { header: this.header(), members: m.members() };
      }
      case 'memberPromote': {
        const target = m.members().find((x) => x.id === req.params.id);
        if (target === undefined) throw new KvError('MemberNotFound', `member ${req.params.id.toString(16)} not found`);
        if (!target.isLearner) throw new KvError('InvalidConfChange', 'can only promote a learner member');
        m.requireLeader();
        if (!m.learnerCaughtUp(req.params.id)) throw new KvError('InvalidConfChange', 'can only promote a learner member which is in sync with leader');
        await m.changeMembership({ type: 'promoteLearner', nodeId: req.params.id });
        return { header: this.header(), members: m.members() };
      }
      case 'status': {
        const st = m.status();
        const me = m.members().find((x) => x.id === m.ids.memberId);
        return {
          header: this.header(),
          version: VERSION,
          leader: st.leaderId,
          raftTerm: st.term,
          raftIndex: st.commit,
          raftAppliedIndex: st.applied,
          dbSizeBytes: m.dbSizeBytes(),
          isLearner: me?.isLearner ?? false,
          errors: m.fatalError() !== undefined ? [String(m.fatalError())] : [],
        };
      }
      case 'hashKv': {
        // As etcd's HashKV: this member's own state, no read barrier (members are compared with each other).
        const h = hashKv(m.sm.mvcc, req.params.revision ?? 0);
        return { header: this.header(), ...h };
      }
      case 'snapshot': {
        const c = this.snapshots.chunk(req.params.token, req.params.offset, () => snapshotOf(m, VERSION));
        return { header: this.header(), ...c };
      }
      case 'moveLeader': {
        await moveLeader(m, req.params.targetId, m.config.tickMs * m.config.electionTicks * 2);
        return { header: this.header() };
      }
      default: {
        const never: never = req;
        throw new KvError('BadFrame', `unknown method ${JSON.stringify(never)}`);
      }
    }
  }
}
