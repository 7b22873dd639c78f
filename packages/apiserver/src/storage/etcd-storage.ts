// Storage over a real etcd cluster through the `etcd3` client, for users who already run etcd: the same
// conditional txns and revisions as the Halyard back end, so both pass one integration suite.
import { Etcd3, type IKeyValue, type IWatchResponse, type Watcher } from 'etcd3';
import { BatchQueue } from './batch-queue.ts';
import {
  StorageError,
  prefixRangeEnd,
  type GetResult,
  type HealthReport,
  type ListOptions,
  type ListResult,
  type Storage,
  type StorageEvent,
  type StorageWatch,
  type StorageWatchBatch,
  type StoredObject,
  type WriteOutcome,
} from './storage.ts';

const HEALTH_KEY = '/registry/health';
/** Responses buffered per watch before the watch is ended as too slow. */
export const ETCD_WATCH_BATCHES_BUFFERED_MAX = 4096;

export interface EtcdStorageOptions {
  readonly endpoints: readonly string[];
  readonly requestTimeoutMs?: number;
}

export class EtcdStorage implements Storage {
  readonly kind = 'etcd';
  private readonly client: Etcd3;

  constructor(options: EtcdStorageOptions) {
    const timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.client = new Etcd3({
      hosts: [...options.endpoints],
      dialTimeout: 2_000,
      // Streams (watches) have no deadline; unary calls one each, so a dead member cannot hang a request.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
    });
  }

  async get(key: string): Promise<GetResult> {
    const r = await call(() => this.client.get(key).exec());
    const kv = r.kvs[0];
    return { revision: num(r.header.revision), object: kv === undefined ? undefined : stored(kv) };
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const start = options.startKey ?? prefix;
    if (!start.startsWith(prefix)) throw new StorageError('Internal', `start key ${start} is outside ${prefix}`);
    let b = this.client.getAll().inRange({ start, end: prefixRangeEnd(prefix) });
    if (options.limit !== undefined && options.limit > 0) b = b.limit(options.limit);
    if (options.revision !== undefined && options.revision > 0) b = b.revision(options.revision);
    const r = await call(() => b.exec());
    return { revision: options.revision !== undefined && options.revision > 0 ? options.revision : num(r.header.revision), objects: r.kvs.map(stored), more: r.more, count: num(r.count) };
  }

  async create(key: string, value: Uint8Array, requireExisting: readonly string[] = []): Promise<WriteOutcome> {
    let txn = this.client.if(key, 'Mod', '==', 0);
    for (const k of requireExisting) txn = txn.and(k, 'Create', '>', 0);
    const r = await call(() =>
      txn
        .then(this.client.put(key).value(Buffer.from(value)))
        .else(this.client.get(key), ...requireExisting.map((k) => this.client.get(k)))
        .commit(),
    );
    if (r.succeeded) return { ok: true, revision: num(r.header.revision) };
    const [current, ...required] = r.responses.map((x) => firstKv(x.response_range?.kvs));
    return { ok: false, current, missing: requireExisting.filter((_, i) => required[i] === undefined) };
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<WriteOutcome> {
    const r = await call(() => this.client.if(key, 'Mod', '==', expectedModRevision).then(this.client.put(key).value(Buffer.from(value))).else(this.client.get(key)).commit());
    if (r.succeeded) return { ok: true, revision: num(r.header.revision) };
    return { ok: false, current: firstKv(r.responses[0]?.response_range?.kvs), missing: [] };
  }

  async delete(key: string, expectedModRevision: number, alsoDeletePrefixes: readonly string[] = []): Promise<WriteOutcome> {
    const r = await call(() =>
      this.client
        .if(key, 'Mod', '==', expectedModRevision)
        .then(this.client.delete().key(key), ...alsoDeletePrefixes.map((p) => this.client.delete().prefix(p)))
        .else(this.client.get(key))
        .commit(),
    );
    if (r.succeeded) return { ok: true, revision: num(r.header.revision) };
    return { ok: false, current: firstKv(r.responses[0]?.response_range?.kvs), missing: [] };
  }

  watch(prefix: string, startRevision: number): StorageWatch {
    if (!Number.isSafeInteger(startRevision) || startRevision <= 0) throw new StorageError('Internal', `watch start revision must be positive, got ${startRevision}`);
    const queue = new BatchQueue<StorageWatchBatch>(ETCD_WATCH_BATCHES_BUFFERED_MAX, () => new StorageError('Unavailable', 'watch consumer too slow'));
    let watcher: Watcher | undefined;
    let canceled = false;
    // The etcd3 client re-creates the watch after a lost stream from its last revision + 1; events it
    // sends again are dropped here so the consumer sees each revision once.
    let nextRevision = startRevision;
    const start = async (): Promise<void> => {
      // etcd cancels a watch whose start revision was compacted; a ranged read at that revision fails the
      // same way and tells us so up front, with the standard error.
      const current = await this.get(HEALTH_KEY);
      if (startRevision <= current.revision) await call(() => this.client.getAll().prefix(prefix).revision(startRevision).limit(1).keys());
      const w = await this.client.watch().prefix(prefix).startRevision(String(startRevision)).withPreviousKV().create();
      watcher = w;
      if (canceled) {
        await w.cancel();
        return;
      }
      w.on('data', (res: IWatchResponse) => {
        const events: StorageEvent[] = [];
        for (const e of res.events) {
          const ev = toStorageEvent(e.type, e.kv, e.prev_kv);
          if (ev.modRevision < nextRevision) continue;
          events.push(ev);
        }
        const last = events[events.length - 1];
        if (last !== undefined) nextRevision = last.modRevision + 1;
        if (events.length > 0) queue.push({ events, progressRevision: last!.modRevision });
      });
      w.on('error', (err: Error) => {
        const text = err.message;
        // etcd ends a watch on its own only when its revision is compacted (or access is denied).
        queue.fail(/compact/i.test(text) || /canceled/i.test(text) ? new StorageError('Compacted', `watch from revision ${nextRevision}: ${text}`) : toStorageError(err));
      });
      w.on('end', () => queue.end());
    };
    start().catch((err: unknown) => queue.fail(toStorageError(err)));
    return {
      requestProgress: () => {},
      cancel: async () => {
        canceled = true;
        queue.end();
        await watcher?.cancel().catch(() => {});
      },
      [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
    };
  }

  async health(timeoutMs: number): Promise<HealthReport> {
    try {
      await Promise.race([
        this.client.get(HEALTH_KEY).exec(),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
      ]);
      return { ok: true, message: 'ok' };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

function num(s: string | undefined): number {
  const n = Number(s ?? '0');
  if (!Number.isSafeInteger(n)) throw new StorageError('Internal', `revision ${s} is not a safe integer`);
  return n;
}

function stored(kv: IKeyValue): StoredObject {
  return { key: kv.key.toString('utf8'), value: new Uint8Array(kv.value), modRevision: num(kv.mod_revision), createRevision: num(kv.create_revision) };
}

function firstKv(kvs: readonly IKeyValue[] | undefined): StoredObject | undefined {
  const kv = kvs?.[0];
  return kv === undefined ? undefined : stored(kv);
}

function toStorageEvent(type: string, kv: IKeyValue, prev: IKeyValue | undefined): StorageEvent {
  const key = kv.key.toString('utf8');
  const prevValue = prev === undefined || prev === null ? undefined : new Uint8Array(prev.value);
  if (type === 'Put') return { type: 'put', key, value: new Uint8Array(kv.value), modRevision: num(kv.mod_revision), createRevision: num(kv.create_revision), prevValue };
  return { type: 'delete', key, modRevision: num(kv.mod_revision), prevValue };
}


async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw toStorageError(err);
  }
}

/** The one place etcd client errors become storage errors. */
function toStorageError(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const text = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.constructor.name : '';
  if (/required revision has been compacted/.test(text)) return new StorageError('Compacted', text);
  if (/required revision is a future revision/.test(text)) return new StorageError('FutureRevision', text);
  if (name === 'GRPCDeadlineExceededError' || /deadline/i.test(text)) return new StorageError('Timeout', text);
  if (name === 'GRPCUnavailableError' || name === 'GRPCConnectFailedError' || /unavailable|ECONNREFUSED|no connection|leader/i.test(text)) return new StorageError('Unavailable', text);
  return new StorageError('Internal', text);
}
