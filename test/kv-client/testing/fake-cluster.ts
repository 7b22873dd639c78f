// A fake cluster for client and CLI tests: N WebSocket servers on 127.0.0.1 (port 0) that speak the client
// protocol over ONE shared MvccStore (the real state machine, so results are etcd-shaped), with a
// designated leader instead of Raft. Tests steer it: who leads, and per-request interceptions (drop,
// delay, answer with an error, close the connection before or after applying) to stage failures.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { MvccStore } from '@halyard/kv/mvcc';
import { type RevisionEvents, decodeClientRequest, frameIdOf, KvError, type WireError, decodeFrame, encodeFrame, WRITE_METHODS, type ClientRequest, type Header, type Member, type ServerFrame, type WatchCreateParams } from '@halyard/kv-client/protocol';
import { hashKv, toWireError } from '@halyard/kv/server';

export type Interception =
  /** Never answer. */
  | { readonly kind: 'drop' }
  /** Close the connection without handling the request. */
  | { readonly kind: 'close' }
  /** Apply the request, then close the connection before answering (a lost response). */
  | { readonly kind: 'applyThenClose' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'error'; readonly error: WireError };

export type Interceptor = (request: ClientRequest, memberIndex: number) => Interception | undefined;

export interface RequestLogEntry {
  readonly member: number;
  readonly method: string;
  readonly requestId: string | undefined;
  readonly params: unknown;
}

interface FakeWatch {
  readonly params: WatchCreateParams;
  unsubscribe: () => void;
}

export class FakeMember {
  readonly sockets = new Set<WebSocket>();
  frozen = false;
  private http: Server | undefined;
  private wss: WebSocketServer | undefined;
  port = 0;

  constructor(
    readonly index: number,
    readonly id: number,
    readonly name: string,
    private readonly cluster: FakeCluster,
  ) {}

  get clientUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get isUp(): boolean {
    return this.http !== undefined;
  }

  async listen(): Promise<void> {
    const http = createServer((req, res) => this.cluster.handleHttp(this, req.url ?? '/', res));
    // Pongs are ours to send, so a frozen member stops answering pings like a SIGSTOPped process.
    const wss = new WebSocketServer({ server: http, autoPong: false });
    wss.on('connection', (ws) => this.accept(ws));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (http.address() as AddressInfo).port;
    this.http = http;
    this.wss = wss;
  }

  /** Stops listening and drops every connection, like a killed process. `listen()` restarts on the same port. */
  async kill(): Promise<void> {
    const http = this.http;
    const wss = this.wss;
    this.http = undefined;
    this.wss = undefined;
    this.dropConnections();
    wss?.close();
    http?.closeAllConnections();
    await new Promise<void>((resolve) => (http === undefined ? resolve() : http.close(() => resolve())));
  }

  dropConnections(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
  }

  send(ws: WebSocket, frame: ServerFrame): void {
    if (ws.readyState === ws.OPEN) ws.send(encodeFrame(frame), { binary: true });
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    const watches = new Map<number, FakeWatch>();
    let nextWatchId = 1;
    ws.on('ping', (data: Buffer) => {
      if (!this.frozen) ws.pong(data);
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      for (const w of watches.values()) w.unsubscribe();
      watches.clear();
    });
    ws.on('message', (data: Buffer) => {
      if (this.frozen) return;
      let request: ClientRequest;
      let raw: unknown;
      try {
        raw = decodeFrame(data);
        request = decodeClientRequest(raw);
      } catch (err) {
        const id = frameIdOf(raw);
        this.send(ws, id === undefined ? { type: 'frameError', error: toWireError(err) } : { type: 'error', id, error: toWireError(err) });
        return;
      }
      void this.cluster.handle(this, ws, request, { watches, nextWatchId: () => nextWatchId++ });
    });
  }
}

export interface ConnectionWatches {
  readonly watches: Map<number, FakeWatch>;
  nextWatchId(): number;
}

export class FakeCluster {
  readonly store = new MvccStore({ leaseTtlMinSeconds: 1 });
  readonly members: FakeMember[] = [];
  readonly requests: RequestLogEntry[] = [];
  /** How many times each requestId was applied to the store (must never exceed 1). */
  readonly applyCounts = new Map<string, number>();
  private readonly outcomes = new Map<string, { ok: true; result: unknown } | { ok: false; error: WireError }>();
  leaderIndex: number | undefined = 0;
  intercept: Interceptor | undefined;
  readonly clusterId = 0x1c2d3e4f;
  raftTerm = 2;
  private nextMemberId = 0x100;
  private readonly extraMembers: Member[] = [];

  static async start(size = 3): Promise<FakeCluster> {
    const cluster = new FakeCluster();
    for (let i = 0; i < size; i++) {
      const m = new FakeMember(i, 0x8e9e05c52164 + i, `m${i}`, cluster);
      await m.listen();
      cluster.members.push(m);
    }
    return cluster;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  member(i: number): FakeMember {
    const m = this.members[i];
    if (m === undefined) throw new Error(`no member ${i}`);
    return m;
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill()));
  }

  header(member: FakeMember): Header {
    return { clusterId: this.clusterId, memberId: member.id, revision: this.store.revision, raftTerm: this.raftTerm };
  }

  memberList(): Member[] {
    return [
      ...this.members.map((m) => ({ id: m.id, name: m.name, peerUrls: [`http://127.0.0.1:${23800 + m.index}`], clientUrls: [m.clientUrl], isLearner: false })),
      ...this.extraMembers,
    ];
  }

  handleHttp(member: FakeMember, url: string, res: import('node:http').ServerResponse): void {
    if (url === '/health') {
      const ok = this.leaderIndex !== undefined && !member.frozen;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ health: ok ? 'true' : 'false' }));
      return;
    }
    res.writeHead(404).end();
  }

  async handle(member: FakeMember, ws: WebSocket, request: ClientRequest, conn: ConnectionWatches): Promise<void> {
    this.requests.push({ member: member.index, method: request.method, requestId: request.requestId, params: request.params });
    const interception = this.intercept?.(request, member.index);
    if (interception !== undefined) {
      switch (interception.kind) {
        case 'drop':
          return;
        case 'close':
          ws.terminate();
          return;
        case 'error':
          member.send(ws, { type: 'error', id: request.id, error: interception.error });
          return;
        case 'delay':
          await new Promise((r) => setTimeout(r, interception.ms));
          break;
        case 'applyThenClose':
          try {
            this.execute(member, ws, request, conn);
          } catch {
            // The response is lost either way.
          }
          ws.terminate();
          return;
      }
    }
    try {
      const result = this.execute(member, ws, request, conn);
      member.send(ws, { type: 'response', id: request.id, result: result as never });
    } catch (err) {
      member.send(ws, { type: 'error', id: request.id, error: toWireError(err) });
    }
  }

  private execute(member: FakeMember, ws: WebSocket, request: ClientRequest, conn: ConnectionWatches): unknown {
    const isWrite = WRITE_METHODS.has(request.method) || request.method === 'leaseKeepAlive' || request.method.startsWith('member') && request.method !== 'memberList' || request.method === 'moveLeader';
    if (isWrite && this.leaderIndex === undefined) throw new KvError('Unavailable', 'no leader');
    if (isWrite && this.leaderIndex !== member.index) {
      const leader = this.member(this.leaderIndex as number);
      throw new KvError('NotLeader', 'not the leader', { leaderId: leader.id, leaderEndpoint: leader.clientUrl });
    }
    if (request.requestId !== undefined && WRITE_METHODS.has(request.method)) {
      const seen = this.outcomes.get(request.requestId);
      if (seen !== undefined) {
        if (seen.ok) return { ...(seen.result as object), header: this.header(member) };
        throw KvError.fromWire(seen.error);
      }
      try {
        const result = this.apply(member, ws, request, conn);
        this.applyCounts.set(request.requestId, (this.applyCounts.get(request.requestId) ?? 0) + 1);
        this.outcomes.set(request.requestId, { ok: true, result });
        return result;
      } catch (err) {
        this.outcomes.set(request.requestId, { ok: false, error: toWireError(err) });
        throw err;
      }
    }
    return this.apply(member, ws, request, conn);
  }

  private apply(member: FakeMember, ws: WebSocket, request: ClientRequest, conn: ConnectionWatches): unknown {
    const header = (): Header => this.header(member);
    switch (request.method) {
      case 'range': {
        const { serializable: _s, ...params } = request.params;
        return { ...this.store.range(params), header: header() };
      }
      case 'put':
        return { ...this.store.apply({ type: 'put', ...request.params }), header: header() };
      case 'deleteRange':
        return { ...this.store.apply({ type: 'deleteRange', ...request.params }), header: header() };
      case 'txn':
        return { ...this.store.apply({ type: 'txn', ...request.params }), header: header() };
      case 'compact':
        this.store.apply({ type: 'compaction', revision: request.params.revision });
        return { header: header() };
      case 'leaseGrant': {
        const r = this.store.apply({ type: 'leaseGrant', id: request.params.id ?? 0, ttlSeconds: request.params.ttlSeconds });
        return { header: header(), id: r.id, ttlSeconds: r.ttlSeconds };
      }
      case 'leaseRevoke':
        this.store.apply({ type: 'leaseRevoke', id: request.params.id });
        return { header: header() };
      case 'leaseKeepAlive': {
        const info = this.store.leaseTimeToLive(request.params.id);
        return { header: header(), id: info.id, ttlSeconds: info.grantedTtlSeconds };
      }
      case 'leaseTimeToLive': {
        const info = this.store.leaseTimeToLive(request.params.id, request.params.keys === true);
        return { header: header(), id: info.id, ttlSeconds: info.grantedTtlSeconds, grantedTtlSeconds: info.grantedTtlSeconds, keys: info.keys ?? [] };
      }
      case 'leaseLeases':
        return { header: header(), leases: this.store.leases().map((l) => ({ id: l.id })) };
      case 'watchCreate':
        return this.watchCreate(member, ws, request.params, conn);
      case 'watchCancel': {
        const w = conn.watches.get(request.params.watchId);
        w?.unsubscribe();
        conn.watches.delete(request.params.watchId);
        return { header: header() };
      }
      case 'watchProgress':
        for (const [watchId] of conn.watches) member.send(ws, { type: 'watch', watchId, header: header(), events: [], progress: true });
        return { header: header() };
      case 'memberList':
        return { header: header(), members: this.memberList() };
      case 'memberAdd': {
        const m: Member = { id: this.nextMemberId++, name: request.params.name ?? '', peerUrls: [...request.params.peerUrls], clientUrls: [], isLearner: request.params.isLearner === true };
        this.extraMembers.push(m);
        return { header: header(), member: m, members: this.memberList() };
      }
      case 'memberRemove':
      case 'memberPromote': {
        const i = this.extraMembers.findIndex((m) => m.id === request.params.id);
        const extra = this.extraMembers[i];
        if (extra === undefined) throw new KvError('MemberNotFound', `member ${request.params.id.toString(16)} not found`);
        if (request.method === 'memberRemove') this.extraMembers.splice(i, 1);
        else this.extraMembers[i] = { ...extra, isLearner: false };
        return { header: header(), members: this.memberList() };
      }
      case 'status': {
        const leader = this.leaderIndex === undefined ? 0 : this.member(this.leaderIndex).id;
        return { header: header(), version: '3.5.0-fake', leader, raftTerm: this.raftTerm, raftIndex: this.store.revision + 10, raftAppliedIndex: this.store.revision + 10, dbSizeBytes: 20480, isLearner: false, errors: [] };
      }
      case 'hashKv':
        return { header: header(), ...hashKv(this.store, request.params.revision ?? 0) };
      case 'moveLeader': {
        const target = this.members.findIndex((m) => m.id === request.params.targetId);
        if (target < 0) throw new KvError('InvalidRequest', `bad leader transferee: ${request.params.targetId.toString(16)} is not a voting member`);
        this.leaderIndex = target;
        return { header: header() };
      }
      case 'snapshot':
        throw new KvError('InvalidRequest', 'the fake cluster takes no snapshots');
      default: {
        const never: never = request;
        throw new KvError('BadFrame', `unhandled ${JSON.stringify(never)}`);
      }
    }
  }

  private watchCreate(member: FakeMember, ws: WebSocket, params: WatchCreateParams, conn: ConnectionWatches): unknown {
    const watchId = conn.nextWatchId();
    const range = { key: params.key, ...(params.rangeEnd !== undefined ? { rangeEnd: params.rangeEnd } : {}) };
    const start = params.startRevision ?? 0;
    const header = this.header(member);
    const send = (revisionEvents: RevisionEvents['events'], revision: number): void => {
      const events = revisionEvents
        .filter((e) => inRange(e.kv.key, range.key, range.rangeEnd))
        .map((e) => (params.prevKv === true ? e : { ...e, prevKv: undefined }));
      if (events.length > 0) member.send(ws, { type: 'watch', watchId, header: { ...this.header(member), revision }, events });
    };
    const watch: FakeWatch = { params, unsubscribe: () => {} };
    conn.watches.set(watchId, watch);
    // Answer first, then the backlog, then live events: the order the client relies on.
    queueMicrotask(() => {
      if (!conn.watches.has(watchId)) return;
      if (start > 0 && start < this.store.compactRevision) {
        member.send(ws, { type: 'watch', watchId, header: this.header(member), events: [], canceled: true, cancelReason: 'required revision has been compacted', compactRevision: this.store.compactRevision });
        conn.watches.delete(watchId);
        return;
      }
      if (start > 0) {
        const backlog = this.store.eventsSince(start, range);
        let batch: RevisionEvents['events'][number][] = [];
        for (const e of backlog.events) {
          if (batch.length > 0 && batch[0]?.kv.modRevision !== e.kv.modRevision) {
            send(batch, batch[0]?.kv.modRevision ?? 0);
            batch = [];
          }
          batch.push(e);
        }
        if (batch.length > 0) send(batch, batch[0]?.kv.modRevision ?? 0);
      }
      watch.unsubscribe = this.store.subscribe((applied) => send(applied.events, applied.revision));
    });
    return { header, watchId };
  }
}

function compare(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

function inRange(key: Uint8Array, start: Uint8Array, end: Uint8Array | undefined): boolean {
  if (end === undefined || end.length === 0) return compare(key, start) === 0;
  if (end.length === 1 && end[0] === 0) return compare(key, start) >= 0;
  return compare(key, start) >= 0 && compare(key, end) < 0;
}
