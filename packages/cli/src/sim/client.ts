// Simulated KV clients. Each runs one operation at a time (puts, compare-and-swaps, linearizable
// reads through ReadIndex), goes to its last known leader or a random member, follows NotLeader
// hints, and records every operation it cannot prove never happened in a History for the checkers.
// A write is acknowledged when its entry is applied; a timeout leaves its outcome unknown.

import type { History, HistoryOp, Op, Result } from '../check/history.ts';
import { RaftError, type NodeId } from '@halyard/kv/raft';
import type { Rng } from '@halyard/kv/util';
import type { InvariantChecker } from './invariants.ts';
import type { NodeHost } from './node-host.ts';
import { encodeCommand, type Command, type KvStateMachine } from './state-machine.ts';

export interface ClientConfig {
  readonly clients: number;
  readonly keys: number;
  readonly thinkMsMin: number;
  readonly thinkMsMax: number;
  /** After this long without an answer the outcome is unknown (returnTime null) and the client moves on. */
  readonly timeoutMs: number;
  readonly retryDelayMs: number;
  /** Bound on NotLeader/ProposalDropped retries of one operation before it is given up (never having happened). */
  readonly attemptsMax: number;
  readonly readProbability: number;
  readonly casProbability: number;
  /** Share of write attempts sent with forwardProposal (any member relays to its leader) instead of propose. */
  readonly forwardProbability: number;
}

export type ClientWake = { readonly clientId: number; readonly action: 'start' | 'retry' | 'timeout'; readonly opId: number };

export interface ClientEnv {
  nowMs(): number;
  scheduleClient(atMs: number, wake: ClientWake): void;
  host(id: NodeId): NodeHost | undefined;
  memberIds(): readonly NodeId[];
  /** When a paused member will run again, or undefined if it is running. */
  pausedUntilMs(id: NodeId): number | undefined;
  /** When a paused member will read this client's buffered request. */
  wakeAtMs(id: NodeId, clientId: number): number;
  readonly checker: InvariantChecker;
  trace(line: string): void;
}

interface PendingOp {
  readonly opId: number;
  readonly op: Op;
  readonly invokeTimeMs: number;
  attempts: number;
  reqId: string;
  /** Where the operation was accepted (propose or readIndex did not throw); no retry after that. */
  acceptedAt: NodeId | undefined;
  proposedIndex: number;
}

interface ClientState {
  readonly id: number;
  pending: PendingOp | undefined;
  leaderGuess: NodeId;
  readonly modRevisionSeen: Map<string, number>;
}

export class ClientPool {
  private readonly cfg: ClientConfig;
  private readonly env: ClientEnv;
  private readonly rng: Rng;
  private readonly clients: ClientState[] = [];
  private readonly history: HistoryOp[] = [];
  private readonly byReqId = new Map<string, ClientState>();
  private opIdNext = 1;
  private stopped = false;
  readonly counts = { ok: 0, unknown: 0, givenUp: 0, lost: 0 };

  constructor(cfg: ClientConfig, env: ClientEnv, rng: Rng) {
    this.cfg = cfg;
    this.env = env;
    this.rng = rng;
    for (let id = 1; id <= cfg.clients; id++) {
      const c: ClientState = { id, pending: undefined, leaderGuess: 0, modRevisionSeen: new Map() };
      this.clients.push(c);
      env.scheduleClient(env.nowMs() + this.thinkMs(), { clientId: id, action: 'start', opId: 0 });
    }
  }

  getHistory(): History {
    return this.history;
  }

  /** No new operations after this; those in flight still finish or time out. */
  stop(): void {
    this.stopped = true;
  }

  wake(w: ClientWake): void {
    const c = this.clients[w.clientId - 1]!;
    switch (w.action) {
      case 'start':
        if (c.pending === undefined && !this.stopped) this.startOp(c);
        return;
      case 'retry':
        if (c.pending?.opId === w.opId) this.attempt(c, c.pending);
        return;
      case 'timeout':
        if (c.pending?.opId === w.opId) {
          // No answer in time: the member may be dead, frozen or cut off; try someone else next.
          c.leaderGuess = 0;
          this.finish(c, c.pending, null);
        }
        return;
      default: {
        const never: never = w.action;
        throw new Error(`unknown client action ${String(never)}`);
      }
    }
  }

  private startOp(c: ClientState): void {
    const key = `k${this.rng.int(this.cfg.keys)}`;
    const opId = this.opIdNext++;
    const value = `v${c.id}.${opId}`;
    const r = this.rng.float();
    let op: Op;
    if (r < this.cfg.readProbability) op = { type: 'get', key };
    else if (r < this.cfg.readProbability + this.cfg.casProbability) {
      // Mostly the revision this client last saw (often current, so some succeed); sometimes absent.
      const expectedModRevision = this.rng.int(4) === 0 ? 0 : (c.modRevisionSeen.get(key) ?? 0);
      op = { type: 'cas', key, expectedModRevision, value };
    } else op = { type: 'put', key, value };
    const p: PendingOp = { opId, op, invokeTimeMs: this.env.nowMs(), attempts: 0, reqId: '', acceptedAt: undefined, proposedIndex: 0 };
    c.pending = p;
    if (op.type === 'get') this.env.checker.onReadInvoke(opId, key);
    this.env.scheduleClient(this.env.nowMs() + this.cfg.timeoutMs, { clientId: c.id, action: 'timeout', opId });
    this.attempt(c, p);
  }

  private attempt(c: ClientState, p: PendingOp): void {
    p.attempts++;
    p.reqId = `c${c.id}.${p.opId}.${p.attempts}`;
    const members = this.env.memberIds();
    // Some writes go to any member, as through a load balancer, relying on the core's forwarding.
    const forward = p.op.type !== 'get' && this.rng.float() < this.cfg.forwardProbability;
    const guess = this.env.host(c.leaderGuess);
    const target = !forward && guess !== undefined && guess.alive ? c.leaderGuess : members[this.rng.int(members.length)]!;
    const host = this.env.host(target)!;
    const pausedUntilMs = this.env.pausedUntilMs(target);
    if (pausedUntilMs !== undefined) {
      // A frozen process does not refuse a request: it sits in its socket buffer until it wakes up.
      p.attempts--;
      this.env.scheduleClient(this.env.wakeAtMs(target, c.id), { clientId: c.id, action: 'retry', opId: p.opId });
      return;
    }
    try {
      if (!host.alive) throw new RaftError('Unavailable', `member ${target} is down`);
      if (p.op.type === 'get') {
        this.byReqId.set(p.reqId, c);
        host.readIndex(p.reqId);
      } else {
        const command: Command =
          p.op.type === 'put'
            ? { reqId: p.reqId, type: 'put', key: p.op.key, value: p.op.value }
            : p.op.type === 'cas'
              ? { reqId: p.reqId, type: 'cas', key: p.op.key, expectedModRevision: p.op.expectedModRevision, value: p.op.value }
              : unsupported(p.op);
        this.byReqId.set(p.reqId, c);
        if (forward) {
          // Fire-and-forget: the outcome is known only from the apply (or a timeout).
          host.forwardProposal(encodeCommand(command));
        } else {
          const { index } = host.propose(encodeCommand(command));
          p.proposedIndex = index;
        }
      }
      p.acceptedAt = target;
      c.leaderGuess = target;
      this.env.trace(`c${c.id} ${p.op.type} op${p.opId} → n${target}${p.proposedIndex > 0 ? ` @${p.proposedIndex}` : ''}`);
    } catch (e) {
      this.byReqId.delete(p.reqId);
      if (!(e instanceof RaftError)) throw e;
      c.leaderGuess = e.code === 'NotLeader' ? e.leaderId : 0;
      this.env.trace(`c${c.id} ${p.op.type} op${p.opId} ✗ n${target} ${e.code}`);
      if (p.attempts >= this.cfg.attemptsMax) {
        // Never accepted by any member, so it never happened: nothing to record.
        this.counts.givenUp++;
        if (p.op.type === 'get') this.env.checker.onReadAbandoned(p.opId);
        c.pending = undefined;
        this.scheduleNext(c);
        return;
      }
      this.env.scheduleClient(this.env.nowMs() + this.cfg.retryDelayMs, { clientId: c.id, action: 'retry', opId: p.opId });
    }
  }

  /** Called for every entry a member applies. */
  onApplied(id: NodeId, index: number, command: Command | undefined, result: Result | undefined): void {
    if (command !== undefined && result !== undefined) {
      const c = this.byReqId.get(command.reqId);
      if (c?.pending !== undefined && c.pending.reqId === command.reqId) {
        this.finish(c, c.pending, result);
        return;
      }
    }
    // Another entry took the index our proposal got on the member we asked: ours can never commit.
    for (const c of this.clients) {
      const p = c.pending;
      if (p !== undefined && p.acceptedAt === id && p.proposedIndex === index && command?.reqId !== p.reqId) {
        this.counts.lost++;
        this.finish(c, p, null);
      }
    }
  }

  onReadReady(_id: NodeId, requestId: string, sm: KvStateMachine): void {
    const c = this.byReqId.get(requestId);
    const p = c?.pending;
    if (c === undefined || p === undefined || p.reqId !== requestId || p.op.type !== 'get') return;
    const kv = sm.get(p.op.key);
    this.finish(c, p, { type: 'get', value: kv?.value ?? null, modRevision: kv?.modRevision ?? 0, revision: sm.revision });
  }

  private finish(c: ClientState, p: PendingOp, result: Result | null): void {
    this.byReqId.delete(p.reqId);
    c.pending = undefined;
    const now = this.env.nowMs();
    this.history.push({ id: p.opId, clientId: c.id, invokeTime: p.invokeTimeMs, returnTime: result === null ? null : now, op: p.op, result });
    if (result === null) {
      this.counts.unknown++;
      if (p.op.type === 'get') this.env.checker.onReadAbandoned(p.opId);
    } else {
      this.counts.ok++;
      this.observe(c, p, result);
    }
    this.env.trace(`c${c.id} ${p.op.type} op${p.opId} ${result === null ? 'unknown' : `ok ${JSON.stringify(result)}`}`);
    this.scheduleNext(c);
  }

  private observe(c: ClientState, p: PendingOp, result: Result): void {
    const key = p.op.type === 'txn' ? undefined : p.op.key;
    if (key === undefined) return;
    if (result.type === 'get') {
      c.modRevisionSeen.set(key, result.modRevision);
      this.env.checker.onReadReturn(p.opId, p.acceptedAt ?? 0, result.modRevision, result.revision);
    } else if (result.type === 'put' || (result.type === 'cas' && result.succeeded)) {
      c.modRevisionSeen.set(key, result.revision);
      this.env.checker.onWriteAck(key, result.revision);
    }
  }

  private scheduleNext(c: ClientState): void {
    if (!this.stopped) this.env.scheduleClient(this.env.nowMs() + this.thinkMs(), { clientId: c.id, action: 'start', opId: 0 });
  }

  private thinkMs(): number {
    return this.cfg.thinkMsMin + this.rng.int(this.cfg.thinkMsMax - this.cfg.thinkMsMin + 1);
  }
}

function unsupported(op: Op): never {
  throw new Error(`the simulated clients do not issue ${op.type}`);
}
