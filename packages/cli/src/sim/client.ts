// Simulated KV clients speaking the real client protocol: each runs one operation at a time and sends the
// request shapes a KvClient sends (range, put, deleteRange, txn — writes with a requestId that every retry
// of the operation reuses, so the member's dedupe table makes them exactly-once), to the member's real
// request handler (server/requests.ts) over a simulated client network. It retries as the KvClient does
// (the client's own decideRetry): a NotLeader hint is followed, Unavailable/Timeout/lost connections move
// on to another member. Linearizable reads on a follower go through its forwarded ReadIndex. Every
// operation it cannot prove never happened goes into a History for the checkers. Lease operations run
// beside it, outside the checked keys, as an etcd client keeps a lease: grant, attach a key, keep alive
// every third to four fifths of the TTL, read the key; after a few keep-alives the lease is let go to
// expire. What they saw is recorded for the lease check (fuzz/lease-check.ts): a lease must live at least
// its TTL after the last acknowledged renewal.

import type { History, HistoryOp, Op, Result } from '../check/history.ts';
import type { NodeId } from '@halyard/kv/raft';
import { toWireError } from '@halyard/kv/server';
import type { Rng } from '@halyard/kv/util';
import { ConnectionLostError, KvError, decideRetry } from '@halyard/kv-client';
import type { ClientRequest, Methods } from '@halyard/kv-client/protocol';
import type { LeaseRecord } from '../fuzz/lease-check.ts';
import type { InvariantChecker } from './invariants.ts';
import type { Tuning } from './profiles.ts';

/** What a client does, as a profile tunes it (profiles.ts, where each knob is explained). */
type TunedClientKnobs = Pick<
  Tuning,
  | 'readProbability'
  | 'spreadReadsProbability'
  | 'pinReadsToMember'
  | 'readAfterWriteProbability'
  | 'backgroundReadersPerMember'
  | 'casProbability'
  | 'deleteProbability'
  | 'txnProbability'
  | 'leaseProbability'
  | 'leaseTtlSecondsMin'
  | 'leaseTtlSecondsMax'
  | 'leaseKeepAlivesMax'
>;

export interface ClientConfig extends TunedClientKnobs {
  readonly clients: number;
  readonly keys: number;
  readonly thinkMsMin: number;
  readonly thinkMsMax: number;
  /** After this long without an answer the outcome is unknown (returnTime null) and the client moves on. */
  readonly timeoutMs: number;
  readonly retryDelayMs: number;
  /** Bound on attempts of one operation. */
  readonly attemptsMax: number;
  /** One-way delay of the client network (a request to a member, its answer back). */
  readonly networkDelayMsMin: number;
  readonly networkDelayMsMax: number;
}

/** Simulator events for the clients. */
export type ClientWake =
  | { readonly kind: 'start'; readonly clientId: number }
  | { readonly kind: 'attempt'; readonly clientId: number; readonly opId: number }
  | { readonly kind: 'arrive'; readonly clientId: number; readonly opId: number; readonly attempt: number; readonly target: NodeId }
  | { readonly kind: 'reply'; readonly clientId: number; readonly opId: number; readonly attempt: number; readonly reply: Reply }
  | { readonly kind: 'timeout'; readonly clientId: number; readonly opId: number };

type Reply = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: KvError };

/** A simulated member as the clients see it. */
export interface ClientTarget {
  handle(req: ClientRequest): Promise<Methods[typeof req.method]['result']>;
  readonly incarnation: number;
}

export interface ClientEnv {
  nowMs(): number;
  schedule(atMs: number, wake: ClientWake): void;
  /** The member process if it is up. */
  member(id: NodeId): ClientTarget | undefined;
  /** Members a client may talk to (not removed). */
  memberIds(): readonly NodeId[];
  /** When a paused member will read this client's buffered request (undefined if running). */
  wakeAtMs(id: NodeId, clientId: number): number | undefined;
  /** The member id behind a client URL (from a NotLeader hint). */
  endpointId(url: string): NodeId | undefined;
  /** A member answered with Internal: a bug. */
  internalError(id: NodeId, message: string): void;
  /** A member acknowledged a lease grant or keep-alive (the lease nemesis may change the leader now). */
  leaseRenewed(id: NodeId): void;
  readonly checker: InvariantChecker;
  trace(line: string): void;
}

/** A lease operation's part in the lease check. */
type LeaseStep = 'grant' | 'attach' | 'keepAlive' | 'read';

/** What a client is doing; `checked` ops go into the history, lease ops do not. */
type Work =
  | { readonly checked: true; readonly op: Op }
  | { readonly checked: false; readonly name: string; readonly request: (id: number) => ClientRequest; readonly lease?: { readonly step: LeaseStep; readonly leaseId: number } };

/** The lease a client keeps. */
interface ClientLease {
  readonly id: number;
  readonly ttlSeconds: number;
  /** Its key `lease/<id>` was put with it (acknowledged): reads of it observe the lease. */
  attached: boolean;
  nextKeepAliveMs: number;
  keepAlivesLeft: number;
}

interface PendingOp {
  readonly opId: number;
  readonly work: Work;
  readonly requestId: string;
  readonly invokeTimeMs: number;
  attempt: number;
  target: NodeId;
  /** Where the first attempt goes (a pinned read, a read after a write), if not the leader guess. */
  readonly firstTarget: NodeId | undefined;
  /** A read of a key this client just wrote, sent through another member. */
  readonly afterWrite: boolean;
  /** Attempts that reached a member and may have taken effect (not answered with a refusal before proposing). */
  readonly mayHaveApplied: Set<number>;
}

interface ClientState {
  readonly id: number;
  pending: PendingOp | undefined;
  leaderGuess: NodeId;
  readonly modRevisionSeen: Map<string, number>;
  /** The lease this client keeps, if any. */
  lease: ClientLease | undefined;
  /** The member this client's reads go to first (pinReadsToMember, background readers). */
  readonly pinned: NodeId | undefined;
  /** A background reader: reads only. */
  readonly readsOnly: boolean;
  /** The read to do next, of a key just written, through a member other than the one that acknowledged it. */
  readAfterWrite: { readonly key: string; readonly avoid: NodeId } | undefined;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class ClientPool {
  private readonly cfg: ClientConfig;
  private readonly env: ClientEnv;
  private readonly rng: Rng;
  private readonly clients: ClientState[] = [];
  private readonly history: HistoryOp[] = [];
  private readonly leaseRecords: LeaseRecord[] = [];
  /** Requests delivered to a member and not yet answered, per member: a crash fails them. */
  private readonly inFlight = new Map<NodeId, Set<{ readonly clientId: number; readonly opId: number; readonly attempt: number }>>();
  private opIdNext = 1;
  private stopped = false;
  readonly counts = { ok: 0, unknown: 0, givenUp: 0, leaseOps: 0, redirects: 0, readsAfterWrite: 0 };

  constructor(cfg: ClientConfig, env: ClientEnv, rng: Rng) {
    this.cfg = cfg;
    this.env = env;
    this.rng = rng;
    const members = env.memberIds();
    const readers = cfg.backgroundReadersPerMember * members.length;
    for (let id = 1; id <= cfg.clients + readers; id++) {
      const readsOnly = id > cfg.clients;
      const pinned = readsOnly || cfg.pinReadsToMember ? members[(id - 1) % members.length] : undefined;
      this.clients.push({ id, pending: undefined, leaderGuess: 0, modRevisionSeen: new Map(), lease: undefined, pinned, readsOnly, readAfterWrite: undefined });
      env.schedule(env.nowMs() + this.thinkMs(), { kind: 'start', clientId: id });
    }
  }

  getHistory(): History {
    return this.history;
  }

  /** What the lease operations saw, for checkLeases (times on the simulator's clock). */
  getLeaseRecords(): readonly LeaseRecord[] {
    return this.leaseRecords;
  }

  /**
   * The run is over: an operation still in flight never got its answer, so a write that reached a member
   * has an unknown outcome (it may have been applied, and later reads may show it) and goes into the
   * history as such; a read in flight is abandoned. Without this, a write applied in the last moments would
   * be missing from the history while another client's answer reflects it.
   */
  closeHistory(): void {
    for (const c of this.clients) {
      const p = c.pending;
      if (p === undefined || !p.work.checked) continue;
      c.pending = undefined;
      if (p.work.op.type === 'get') this.env.checker.onReadAbandoned(p.opId);
      else if (p.mayHaveApplied.size > 0) {
        this.history.push({ id: p.opId, clientId: c.id, invokeTime: p.invokeTimeMs, returnTime: null, op: p.work.op, result: null });
        this.counts.unknown++;
      }
    }
  }

  /** No new operations after this; those in flight still finish or time out. */
  stop(): void {
    this.stopped = true;
  }

  wake(w: ClientWake): void {
    const c = this.clients[w.clientId - 1]!;
    switch (w.kind) {
      case 'start':
        if (c.pending === undefined && !this.stopped) this.startOp(c);
        return;
      case 'attempt':
        if (c.pending?.opId === w.opId) this.send(c, c.pending);
        return;
      case 'arrive':
        this.arrive(c, w.opId, w.attempt, w.target);
        return;
      case 'reply':
        if (c.pending?.opId === w.opId && c.pending.attempt === w.attempt) this.onReply(c, c.pending, w.reply);
        return;
      case 'timeout':
        if (c.pending?.opId === w.opId) {
          // No answer in time: the member may be frozen or cut off; try someone else next time.
          c.leaderGuess = 0;
          this.finish(c, c.pending, null);
        }
        return;
      default: {
        const never: never = w;
        throw new Error(`unknown client event ${JSON.stringify(never)}`);
      }
    }
  }

  /** A member lost its process: its open connections drop, and every request on them fails. */
  memberCrashed(id: NodeId): void {
    const open = this.inFlight.get(id);
    if (open === undefined) return;
    this.inFlight.delete(id);
    for (const r of open) {
      const reply: Reply = { ok: false, error: new ConnectionLostError(`n${id}`, true, 'connection closed') };
      this.env.schedule(this.env.nowMs() + this.netDelayMs(), { kind: 'reply', ...r, reply });
    }
  }

  // ------------------------------------------------------------ operations

  private startOp(c: ClientState): void {
    const opId = this.opIdNext++;
    const after = c.readAfterWrite;
    c.readAfterWrite = undefined;
    const work: Work = after !== undefined ? { checked: true, op: { type: 'get', key: after.key } } : this.chooseWork(c, opId);
    const firstTarget = after !== undefined ? this.otherMember(after.avoid) : work.checked && work.op.type === 'get' ? c.pinned : undefined;
    const p: PendingOp = { opId, work, requestId: `c${c.id}.${opId}`, invokeTimeMs: this.env.nowMs(), attempt: 0, target: 0, firstTarget, afterWrite: after !== undefined, mayHaveApplied: new Set() };
    c.pending = p;
    if (work.checked && work.op.type === 'get') this.env.checker.onReadInvoke(opId, work.op.key);
    this.env.schedule(this.env.nowMs() + this.cfg.timeoutMs, { kind: 'timeout', clientId: c.id, opId });
    this.send(c, p);
  }

  /** A random member other than `avoid` (undefined if there is none). */
  private otherMember(avoid: NodeId): NodeId | undefined {
    const others = this.env.memberIds().filter((id) => id !== avoid);
    return others.length === 0 ? undefined : others[this.rng.int(others.length)];
  }

  private chooseWork(c: ClientState, opId: number): Work {
    const key = (): string => `k${this.rng.int(this.cfg.keys)}`;
    if (c.readsOnly) return { checked: true, op: { type: 'get', key: key() } };
    const value = `v${c.id}.${opId}`;
    const cfg = this.cfg;
    const lease = c.lease;
    if (lease !== undefined && lease.attached && this.env.nowMs() >= lease.nextKeepAliveMs) return this.leaseWork(c, opId);
    let r = this.rng.float();
    if ((r -= cfg.leaseProbability) < 0) return this.leaseWork(c, opId);
    if ((r -= cfg.readProbability) < 0) return { checked: true, op: { type: 'get', key: key() } };
    if ((r -= cfg.casProbability) < 0) {
      const k = key();
      // Mostly the revision this client last saw (often current, so some succeed); sometimes absent.
      const expectedModRevision = this.rng.int(4) === 0 ? 0 : (c.modRevisionSeen.get(k) ?? 0);
      return { checked: true, op: { type: 'cas', key: k, expectedModRevision, value } };
    }
    if ((r -= cfg.deleteProbability) < 0) return { checked: true, op: { type: 'delete', key: key() } };
    if ((r -= cfg.txnProbability) < 0 && cfg.keys >= 2) {
      const a = key();
      let b = key();
      while (b === a) b = key();
      const keys = [a, b].sort();
      return {
        checked: true,
        op: {
          type: 'txn',
          compares: keys.map((k) => ({ key: k, expectedModRevision: c.modRevisionSeen.get(k) ?? 0 })),
          puts: keys.map((k) => ({ key: k, value })),
        },
      };
    }
    return { checked: true, op: { type: 'put', key: key(), value } };
  }

  /**
   * Lease traffic: grant a lease, attach its key, keep it alive when due (or, after the last keep-alive,
   * let it expire and grant another), and otherwise read its key.
   */
  private leaseWork(c: ClientState, opId: number): Work {
    const requestId = `c${c.id}.${opId}`;
    const cfg = this.cfg;
    let lease = c.lease;
    if (lease !== undefined && lease.attached && this.env.nowMs() >= lease.nextKeepAliveMs && lease.keepAlivesLeft === 0) lease = c.lease = undefined;
    if (lease === undefined) {
      const ttlSeconds = cfg.leaseTtlSecondsMin + this.rng.int(cfg.leaseTtlSecondsMax - cfg.leaseTtlSecondsMin + 1);
      return { checked: false, name: 'leaseGrant', request: (id) => ({ id, method: 'leaseGrant', params: { ttlSeconds }, requestId }), lease: { step: 'grant', leaseId: 0 } };
    }
    const leaseId = lease.id;
    const key = enc.encode(`lease/${leaseId}`);
    if (!lease.attached) {
      return { checked: false, name: 'leasePut', request: (id) => ({ id, method: 'put', params: { key, value: enc.encode(`v${opId}`), lease: leaseId }, requestId }), lease: { step: 'attach', leaseId } };
    }
    if (this.env.nowMs() >= lease.nextKeepAliveMs) {
      lease.keepAlivesLeft--;
      return { checked: false, name: 'leaseKeepAlive', request: (id) => ({ id, method: 'leaseKeepAlive', params: { id: leaseId } }), lease: { step: 'keepAlive', leaseId } };
    }
    return { checked: false, name: 'leaseRead', request: (id) => ({ id, method: 'range', params: { key } }), lease: { step: 'read', leaseId } };
  }

  /** When a client keeps alive next: every third to four fifths of the TTL, as etcd clients do (TTL/3). */
  private nextKeepAliveMs(ttlSeconds: number): number {
    return this.env.nowMs() + Math.round((ttlSeconds * 1000 * (33 + this.rng.int(48))) / 100);
  }

  /** Record what a lease operation saw; `reply` undefined when it ended without an answer. */
  private onLeaseOutcome(c: ClientState, p: PendingOp, reply: Reply | undefined): void {
    if (p.work.checked || p.work.lease === undefined || reply === undefined) return;
    const { step, leaseId } = p.work.lease;
    const sentMs = p.invokeTimeMs;
    const ackMs = this.env.nowMs();
    if (!reply.ok) {
      // The lease is gone (revoked by its expiry): an observation, as much as a read finding no key.
      if (reply.error.code === 'LeaseNotFound' && leaseId !== 0) {
        this.leaseRecords.push({ kind: 'observed', leaseId, sentMs, ackMs, alive: false, what: `${p.work.name} op${p.opId} (LeaseNotFound)` });
        if (c.lease?.id === leaseId) c.lease = undefined;
      }
      return;
    }
    const r = reply.result as { id?: number; ttlSeconds?: number; kvs?: readonly unknown[] };
    switch (step) {
      case 'grant': {
        if (typeof r.id !== 'number' || typeof r.ttlSeconds !== 'number') return;
        // The lease may have been granted by an earlier attempt (the same requestId): from the first send.
        this.leaseRecords.push({ kind: 'renewed', leaseId: r.id, sentMs, ackMs, ttlSeconds: r.ttlSeconds });
        c.lease = { id: r.id, ttlSeconds: r.ttlSeconds, attached: false, nextKeepAliveMs: this.nextKeepAliveMs(r.ttlSeconds), keepAlivesLeft: 1 + this.rng.int(this.cfg.leaseKeepAlivesMax) };
        this.env.leaseRenewed(p.target);
        return;
      }
      case 'attach':
        if (c.lease?.id === leaseId) c.lease.attached = true;
        return;
      case 'keepAlive':
        if (typeof r.ttlSeconds !== 'number') return;
        this.leaseRecords.push({ kind: 'renewed', leaseId, sentMs, ackMs, ttlSeconds: r.ttlSeconds });
        if (c.lease?.id === leaseId) c.lease.nextKeepAliveMs = this.nextKeepAliveMs(r.ttlSeconds);
        this.env.leaseRenewed(p.target);
        return;
      case 'read': {
        const alive = (r.kvs?.length ?? 0) > 0;
        this.leaseRecords.push({ kind: 'observed', leaseId, sentMs, ackMs, alive, what: `read of lease/${leaseId} op${p.opId}` });
        if (!alive && c.lease?.id === leaseId) c.lease = undefined;
        return;
      }
      default: {
        const never: never = step;
        throw new Error(`unknown lease step ${String(never)}`);
      }
    }
  }

  private request(p: PendingOp): ClientRequest {
    const id = p.attempt;
    if (!p.work.checked) return p.work.request(id);
    const op = p.work.op;
    const requestId = p.requestId;
    switch (op.type) {
      case 'get':
        return { id, method: 'range', params: { key: enc.encode(op.key) } };
      case 'put':
        return { id, method: 'put', params: { key: enc.encode(op.key), value: enc.encode(op.value) }, requestId };
      case 'delete':
        return { id, method: 'deleteRange', params: { key: enc.encode(op.key) }, requestId };
      case 'cas':
        return {
          id,
          method: 'txn',
          params: {
            compare: [{ key: enc.encode(op.key), target: 'modRevision', result: 'equal', operand: op.expectedModRevision }],
            success: [{ type: 'put', key: enc.encode(op.key), value: enc.encode(op.value) }],
            failure: [],
          },
          requestId,
        };
      case 'txn':
        return {
          id,
          method: 'txn',
          params: {
            compare: op.compares.map((cmp) => ({ key: enc.encode(cmp.key), target: 'modRevision' as const, result: 'equal' as const, operand: cmp.expectedModRevision })),
            success: op.puts.map((put) => ({ type: 'put' as const, key: enc.encode(put.key), value: enc.encode(put.value) })),
            failure: [],
          },
          requestId,
        };
      default: {
        const never: never = op;
        throw new Error(`unknown op ${JSON.stringify(never)}`);
      }
    }
  }

  private describe(p: PendingOp): string {
    return p.work.checked ? p.work.op.type : p.work.name;
  }

  // ------------------------------------------------------------ the wire

  private send(c: ClientState, p: PendingOp): void {
    if (p.attempt >= this.cfg.attemptsMax) {
      this.counts.givenUp++;
      this.finish(c, p, null);
      return;
    }
    p.attempt++;
    const members = this.env.memberIds();
    // Reads are served by any member (a follower forwards its ReadIndex), so some go wherever a load
    // balancer sends them; writes go to the last known leader.
    if (p.attempt === 1 && p.firstTarget !== undefined && members.includes(p.firstTarget)) {
      p.target = p.firstTarget;
      this.env.schedule(this.env.nowMs() + this.netDelayMs(), { kind: 'arrive', clientId: c.id, opId: p.opId, attempt: p.attempt, target: p.target });
      return;
    }
    const spread = p.attempt === 1 && p.work.checked && p.work.op.type === 'get' && this.rng.float() < this.cfg.spreadReadsProbability;
    const target = !spread && c.leaderGuess !== 0 && members.includes(c.leaderGuess) ? c.leaderGuess : members[this.rng.int(members.length)]!;
    p.target = target;
    this.env.schedule(this.env.nowMs() + this.netDelayMs(), { kind: 'arrive', clientId: c.id, opId: p.opId, attempt: p.attempt, target });
  }

  private arrive(c: ClientState, opId: number, attempt: number, target: NodeId): void {
    const p = c.pending;
    if (p === undefined || p.opId !== opId || p.attempt !== attempt) return;
    // A frozen process does not refuse a request: it sits in its socket buffer until the process wakes.
    const wakeAt = this.env.wakeAtMs(target, c.id);
    if (wakeAt !== undefined) {
      this.env.trace(`c${c.id} ${this.describe(p)} op${opId}#${attempt} waits for frozen n${target}`);
      this.env.schedule(wakeAt, { kind: 'arrive', clientId: c.id, opId, attempt, target });
      return;
    }
    const m = this.env.member(target);
    const key = { clientId: c.id, opId, attempt };
    const replyLater = (reply: Reply): void => this.env.schedule(this.env.nowMs() + this.netDelayMs(), { kind: 'reply', ...key, reply });
    if (m === undefined) {
      replyLater({ ok: false, error: new ConnectionLostError(`n${target}`, false, 'connection refused') });
      return;
    }
    const req = this.request(p);
    p.mayHaveApplied.add(attempt);
    this.env.trace(`c${c.id} ${this.describe(p)} op${opId}#${attempt} → n${target}`);
    let open = this.inFlight.get(target);
    if (open === undefined) this.inFlight.set(target, (open = new Set()));
    open.add(key);
    const settle = (reply: Reply): void => {
      // A crash failed this request already (the process that would answer is gone).
      if (!open.delete(key) || this.inFlight.get(target) !== open) return;
      replyLater(reply);
    };
    let answer: Promise<unknown>;
    try {
      answer = m.handle(req);
    } catch (e) {
      answer = Promise.reject(e);
    }
    answer.then(
      (result) => settle({ ok: true, result }),
      (e: unknown) => {
        // As on the wire: the member's error becomes a WireError, the client rebuilds a KvError from it.
        const w = toWireError(e);
        if (w.code === 'Internal') this.env.internalError(target, w.message);
        settle({ ok: false, error: KvError.fromWire(w) });
      },
    );
  }

  private onReply(c: ClientState, p: PendingOp, reply: Reply): void {
    this.onLeaseOutcome(c, p, reply);
    if (reply.ok) {
      c.leaderGuess = p.target;
      this.finish(c, p, this.toResult(c, p, reply.result));
      return;
    }
    const err = reply.error;
    // Refused before anything was proposed: this attempt certainly had no effect.
    const noEffect = err.code === 'NotLeader' || (err instanceof ConnectionLostError && !err.sent) || (err.code === 'Unavailable' && !(err instanceof ConnectionLostError));
    if (noEffect) p.mayHaveApplied.delete(p.attempt);
    this.env.trace(`c${c.id} ${this.describe(p)} op${p.opId}#${p.attempt} ✗ n${p.target} ${err.code}`);
    const d = decideRetry(err, 'always');
    switch (d.kind) {
      case 'redirect': {
        const leader = this.env.endpointId(d.leaderEndpoint);
        c.leaderGuess = leader ?? 0;
        this.counts.redirects++;
        this.send(c, p);
        return;
      }
      case 'next':
        c.leaderGuess = 0;
        this.env.schedule(this.env.nowMs() + this.cfg.retryDelayMs, { kind: 'attempt', clientId: c.id, opId: p.opId });
        return;
      case 'again':
        this.env.schedule(this.env.nowMs() + this.cfg.retryDelayMs, { kind: 'attempt', clientId: c.id, opId: p.opId });
        return;
      case 'fail':
        // Not retryable (e.g. a lease that expired meanwhile): the operation is over.
        this.finish(c, p, null);
        return;
      default: {
        const never: never = d;
        throw new Error(`unknown retry decision ${JSON.stringify(never)}`);
      }
    }
  }

  /** The wire result as a history result (undefined for unchecked lease operations). */
  private toResult(c: ClientState, p: PendingOp, raw: unknown): Result | undefined {
    if (!p.work.checked) return undefined;
    const op = p.work.op;
    switch (op.type) {
      case 'get': {
        const r = raw as Methods['range']['result'];
        const kv = r.kvs[0];
        return { type: 'get', value: kv === undefined ? null : dec.decode(kv.value), modRevision: kv?.modRevision ?? 0, revision: r.header.revision };
      }
      case 'put':
        return { type: 'put', revision: (raw as Methods['put']['result']).header.revision };
      case 'delete': {
        const r = raw as Methods['deleteRange']['result'];
        return { type: 'delete', deleted: r.deleted, revision: r.header.revision };
      }
      case 'cas': {
        const r = raw as Methods['txn']['result'];
        return { type: 'cas', succeeded: r.succeeded, revision: r.header.revision };
      }
      case 'txn': {
        const r = raw as Methods['txn']['result'];
        return { type: 'txn', succeeded: r.succeeded, revision: r.header.revision };
      }
      default: {
        const never: never = op;
        throw new Error(`unknown op ${JSON.stringify(never)}`);
      }
    }
  }

  /** `result` null: the outcome is unknown (or, for an operation that never took effect, nothing to record). */
  private finish(c: ClientState, p: PendingOp, result: Result | undefined | null): void {
    c.pending = undefined;
    const now = this.env.nowMs();
    if (!p.work.checked) {
      this.counts.leaseOps++;
    } else if (result === null || result === undefined) {
      const op = p.work.op;
      if (op.type === 'get') this.env.checker.onReadAbandoned(p.opId);
      // A failed read changed nothing; a write that may have applied has an unknown outcome.
      else if (p.mayHaveApplied.size > 0) {
        this.history.push({ id: p.opId, clientId: c.id, invokeTime: p.invokeTimeMs, returnTime: null, op, result: null });
        this.counts.unknown++;
      }
    } else {
      this.history.push({ id: p.opId, clientId: c.id, invokeTime: p.invokeTimeMs, returnTime: now, op: p.work.op, result });
      this.counts.ok++;
      this.observe(c, p.work.op, p.target, p.opId, result);
      if (p.afterWrite && p.target === p.firstTarget) this.counts.readsAfterWrite++;
      const op = p.work.op;
      const written = op.type === 'get' ? undefined : op.type === 'txn' ? op.puts[0]?.key : op.key;
      // The read racing the write: at once, through a member that may not have applied it yet.
      if (written !== undefined && this.cfg.readAfterWriteProbability > 0 && this.rng.float() < this.cfg.readAfterWriteProbability) {
        c.readAfterWrite = { key: written, avoid: p.target };
      }
    }
    this.env.trace(`c${c.id} ${this.describe(p)} op${p.opId} ${result === null || result === undefined ? (p.work.checked ? 'unknown' : 'done') : `ok ${JSON.stringify(result)}`}`);
    if (!this.stopped) this.env.schedule(c.readAfterWrite !== undefined ? now : now + this.thinkMs(), { kind: 'start', clientId: c.id });
  }

  private observe(c: ClientState, op: Op, at: NodeId, opId: number, result: Result): void {
    if (result.type === 'get' && op.type === 'get') {
      c.modRevisionSeen.set(op.key, result.modRevision);
      this.env.checker.onReadReturn(opId, at, result.modRevision, result.revision);
      return;
    }
    const written: string[] = [];
    if (op.type === 'put') written.push(op.key);
    else if (op.type === 'cas' && result.type === 'cas' && result.succeeded) written.push(op.key);
    else if (op.type === 'txn' && result.type === 'txn' && result.succeeded) written.push(...op.puts.map((x) => x.key));
    else if (op.type === 'delete' && result.type === 'delete' && result.deleted > 0) written.push(op.key);
    for (const k of written) {
      c.modRevisionSeen.set(k, op.type === 'delete' ? 0 : result.revision);
      this.env.checker.onWriteAck(k, result.revision, op.type === 'delete');
    }
  }

  private thinkMs(): number {
    return this.cfg.thinkMsMin + this.rng.int(this.cfg.thinkMsMax - this.cfg.thinkMsMin + 1);
  }

  private netDelayMs(): number {
    return this.cfg.networkDelayMsMin + this.rng.int(this.cfg.networkDelayMsMax - this.cfg.networkDelayMsMin + 1);
  }
}
