// The KV store as the simulated processes see it: the real MVCC state machine (so txns, compares and
// watch events are exactly the store's) behind a network with random delays, long delays, losses, store
// outages and per-process partitions. Each process gets a SimKv, which has the calls KvLeaseLock uses.
//
// A request travels to the store (applied there if it can be reached when it arrives), and its answer
// travels back to the process (delivered in the process's context, so it waits while the process is
// paused and is lost if the process crashed). A caller's abort rejects at once, as KvClient does; the
// request may still be applied later — an outcome the elector must treat as unknown.
import type { LeaseKv } from '../kv/kv-lease-lock.ts';
import { bytesToString, KvError, prefixEnd, toBytes, type Bytes, type CallOptions, type TxnInput, type TxnResult, type WatchBatch, type WatchOptions } from '../kv/kv-client.ts';
import { MvccStore, txnParams } from './kv-internals.testutil.ts';
import type { SimProcess, SimWorld } from './sim-world.ts';

export interface SimNetOptions {
  readonly random: () => number;
  /** One-way delays are uniform in [0, delayMsMax]. */
  readonly delayMsMax: number;
  /** Chance that one message is slow: uniform up to longDelayMsMax instead. */
  readonly longDelayProbability: number;
  readonly longDelayMsMax: number;
  /** Chance that one message is lost (the caller then times out). */
  readonly lossProbability: number;
}

interface Window {
  readonly startMs: number;
  readonly endMs: number;
}

const HEADER_IDS = { clusterId: 1, memberId: 1, raftTerm: 1 } as const;

export class SimStore {
  readonly mvcc = new MvccStore();
  /** Txns whose compares failed in the store, by the key of their first compare (e.g. a fence key). */
  readonly failedCompares = new Map<string, number>();
  private readonly outages: Window[] = [];
  private readonly partitions = new Map<string, Window[]>();

  constructor(
    readonly world: SimWorld,
    readonly net: SimNetOptions,
  ) {}

  /** The store answers nothing in [startMs, endMs) of real time. */
  addOutage(startMs: number, endMs: number): void {
    this.outages.push({ startMs, endMs });
  }

  /** Process `name` cannot reach the store (nor hear from it) in [startMs, endMs). */
  addPartition(name: string, startMs: number, endMs: number): void {
    this.partitions.set(name, [...(this.partitions.get(name) ?? []), { startMs, endMs }]);
  }

  reachable(name: string, atMs: number): boolean {
    const inside = (w: Window): boolean => atMs >= w.startMs && atMs < w.endMs;
    return !this.outages.some(inside) && !(this.partitions.get(name) ?? []).some(inside);
  }

  /** The first moment ≥ atMs when `name` can reach the store (for watch deliveries held back by a fault). */
  reachableFrom(name: string, atMs: number): number {
    let t = atMs;
    for (let i = 0; i < 1000 && !this.reachable(name, t); i++) {
      const ws = [...this.outages, ...(this.partitions.get(name) ?? [])].filter((w) => t >= w.startMs && t < w.endMs);
      t = Math.max(...ws.map((w) => w.endMs));
    }
    return t;
  }

  /** A one-way delay, or undefined when the message is lost. */
  delayMs(): number | undefined {
    const { random, delayMsMax, longDelayProbability, longDelayMsMax, lossProbability } = this.net;
    if (random() < lossProbability) return undefined;
    return random() < longDelayProbability ? random() * longDelayMsMax : random() * delayMsMax;
  }

  kvFor(proc: SimProcess): SimKv {
    return new SimKv(this, proc);
  }
}

export class SimKv implements LeaseKv {
  constructor(
    private readonly store: SimStore,
    private readonly proc: SimProcess,
  ) {}

  txn(txn: TxnInput, options: CallOptions = {}): Promise<TxnResult> {
    const { store, proc } = this;
    const world = store.world;
    return new Promise<TxnResult>((resolve, reject) => {
      const signal = options.signal;
      let settled = false;
      const settle = (f: () => void): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      const onAbort = (): void => settle(() => reject(signal?.reason));
      if (signal?.aborted === true) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (!store.reachable(proc.name, world.nowMs)) return; // never leaves: the caller times out
      const there = store.delayMs();
      if (there === undefined) return;
      world.schedule(world.nowMs + there, () => {
        if (!store.reachable(proc.name, world.nowMs)) return;
        let answer: () => void;
        try {
          const request = txnParams(txn);
          const r = store.mvcc.apply({ type: 'txn', ...request });
          const first = request.compare[0];
          if (!r.succeeded && first !== undefined) {
            const key = bytesToString(first.key);
            store.failedCompares.set(key, (store.failedCompares.get(key) ?? 0) + 1);
          }
          const result: TxnResult = { ...r, header: { ...HEADER_IDS, revision: r.header.revision } };
          answer = () => resolve(result);
        } catch (e) {
          answer = () => reject(new KvError('InvalidRequest', e instanceof Error ? e.message : String(e)));
        }
        const back = store.delayMs();
        if (back === undefined) return;
        const at = world.nowMs + back;
        if (!store.reachable(proc.name, at)) return;
        proc.deliverAt(at, () => settle(answer));
      });
    });
  }

  watch(key: Bytes, options: WatchOptions = {}): AsyncIterable<WatchBatch> {
    if (options.prefix !== true || options.startRevision === undefined) throw new Error('SimKv.watch supports prefix watches from a start revision only');
    return new SimWatch(this.store, this.proc, toBytes(key), options.startRevision, options.signal);
  }
}

/** A prefix watch: backlog from startRevision, then every applied revision, delivered in order with delays. */
class SimWatch implements AsyncIterable<WatchBatch> {
  private readonly queue: WatchBatch[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private lastDeliveryMs = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: SimStore,
    private readonly proc: SimProcess,
    prefix: Uint8Array,
    startRevision: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    const world = store.world;
    signal?.addEventListener('abort', () => this.end(), { once: true });
    const there = store.delayMs() ?? 0;
    world.schedule(store.reachableFrom(proc.name, world.nowMs + there), () => {
      if (this.ended) return;
      const backlog = store.mvcc.eventsSince(startRevision, { key: prefix, rangeEnd: prefixEnd(prefix) });
      const byRevision = new Map<number, WatchBatch['events'][number][]>();
      for (const e of backlog.events) byRevision.set(e.kv.modRevision, [...(byRevision.get(e.kv.modRevision) ?? []), e]);
      for (const [revision, events] of byRevision) this.send(revision, events);
      this.unsubscribe = store.mvcc.subscribe((applied) => {
        const events = applied.events.filter((e) => startsWith(e.kv.key, prefix));
        if (events.length > 0) this.send(applied.revision, events);
      });
    });
  }

  private send(revision: number, events: WatchBatch['events']): void {
    const world = this.store.world;
    const delay = this.store.delayMs() ?? this.store.net.delayMsMax;
    // In order, and not while the process is cut off from the store.
    const at = this.store.reachableFrom(this.proc.name, Math.max(this.lastDeliveryMs, world.nowMs + delay));
    this.lastDeliveryMs = at;
    const batch: WatchBatch = { header: { ...HEADER_IDS, revision }, events, progress: false };
    this.proc.deliverAt(at, () => {
      if (this.ended) return;
      this.queue.push(batch);
      this.wake();
    });
  }

  private end(): void {
    this.ended = true;
    this.unsubscribe?.();
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WatchBatch, void, undefined> {
    try {
      for (;;) {
        const next = this.queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (this.ended || this.signal?.aborted === true) return;
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      this.end();
    }
  }
}

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}
