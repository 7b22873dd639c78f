// Storage over the Halyard KV through its client library: every write is one txn comparing the key's mod
// revision (etcd3 store's GuaranteedUpdate shape), reads are linearizable (ReadIndex) unless a revision
// is given, and watches are the client's resuming watches, so a dead member costs no events.
import { KvClient, KvError, compare, op, type KeyValue, type KvClientOptions, type KvEvent, type TxnResult } from './kv-client.ts';
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

/** Key read by the health check: any linearizable read needs a leader with a quorum. */
const HEALTH_KEY = '/registry/health';

export interface HalyardStorageOptions {
  readonly endpoints: readonly string[];
  /** Deadline of one KV call, retries and failover included. */
  readonly requestTimeoutMs?: number;
  readonly tls?: KvClientOptions['tls'];
}

export class HalyardStorage implements Storage {
  readonly kind = 'halyard';
  private readonly client: KvClient;

  constructor(options: HalyardStorageOptions) {
    this.client = new KvClient({
      endpoints: options.endpoints,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
    });
  }

  async get(key: string): Promise<GetResult> {
    const r = await call(() => this.client.get(key));
    const kv = r.kvs[0];
    return { revision: r.header.revision, object: kv === undefined ? undefined : stored(kv) };
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const start = options.startKey ?? prefix;
    if (!start.startsWith(prefix)) throw new StorageError('Internal', `start key ${start} is outside ${prefix}`);
    const r = await call(() =>
      this.client.get(start, {
        rangeEnd: prefixRangeEnd(prefix),
        ...(options.limit !== undefined && options.limit > 0 ? { limit: options.limit } : {}),
        ...(options.revision !== undefined && options.revision > 0 ? { revision: options.revision } : {}),
      }),
    );
    return { revision: options.revision !== undefined && options.revision > 0 ? options.revision : r.header.revision, objects: r.kvs.map(stored), more: r.more, count: r.count };
  }

  async create(key: string, value: Uint8Array, requireExisting: readonly string[] = []): Promise<WriteOutcome> {
    const r = await call(() =>
      this.client.txn({
        compare: [compare.modRevision(key, '=', 0), ...requireExisting.map((k) => compare.createRevision(k, '>', 0))],
        success: [op.put(key, value)],
        failure: [op.get(key), ...requireExisting.map((k) => op.get(k))],
      }),
    );
    if (r.succeeded) return { ok: true, revision: r.header.revision };
    const [current, ...required] = r.responses.map(firstKv);
    return { ok: false, current, missing: requireExisting.filter((_, i) => required[i] === undefined) };
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<WriteOutcome> {
    const r = await call(() =>
      this.client.txn({ compare: [compare.modRevision(key, '=', expectedModRevision)], success: [op.put(key, value)], failure: [op.get(key)] }),
    );
    if (r.succeeded) return { ok: true, revision: r.header.revision };
    return { ok: false, current: firstKv(r.responses[0]), missing: [] };
  }

  async delete(key: string, expectedModRevision: number, alsoDeletePrefixes: readonly string[] = []): Promise<WriteOutcome> {
    const r = await call(() =>
      this.client.txn({
        compare: [compare.modRevision(key, '=', expectedModRevision)],
        success: [op.delete(key), ...alsoDeletePrefixes.map((p) => op.delete(p, { prefix: true }))],
        failure: [op.get(key)],
      }),
    );
    if (r.succeeded) return { ok: true, revision: r.header.revision };
    return { ok: false, current: firstKv(r.responses[0]), missing: [] };
  }

  watch(prefix: string, startRevision: number): StorageWatch {
    if (!Number.isSafeInteger(startRevision) || startRevision <= 0) throw new StorageError('Internal', `watch start revision must be positive, got ${startRevision}`);
    const w = this.client.watch(prefix, { prefix: true, startRevision, prevKv: true });
    return {
      requestProgress: () => void w.requestProgress(),
      cancel: () => w.cancel(),
      [Symbol.asyncIterator]: () => batches(w[Symbol.asyncIterator]()),
    };
  }

  async health(timeoutMs: number): Promise<HealthReport> {
    try {
      // countOnly: a linearizable read that moves no data; it fails without a leader and a quorum.
      await this.client.get(HEALTH_KEY, { countOnly: true, timeoutMs });
      return { ok: true, message: 'ok' };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

async function* batches(it: AsyncIterator<{ readonly events: readonly KvEvent[]; readonly header: { readonly revision: number }; readonly progress: boolean }>): AsyncGenerator<StorageWatchBatch> {
  for (;;) {
    let next: IteratorResult<{ readonly events: readonly KvEvent[]; readonly header: { readonly revision: number }; readonly progress: boolean }>;
    try {
      next = await it.next();
    } catch (err) {
      throw toStorageError(err);
    }
    if (next.done === true) return;
    const b = next.value;
    const events = b.events.map(toStorageEvent);
    const last = events[events.length - 1];
    // A progress batch vouches for everything up to its header revision; an event batch for its last event.
    const progressRevision = b.progress ? b.header.revision : last !== undefined ? last.modRevision : b.header.revision;
    yield { events, progressRevision };
  }
}

function toStorageEvent(e: KvEvent): StorageEvent {
  const key = Buffer.from(e.kv.key).toString('utf8');
  if (e.type === 'put') return { type: 'put', key, value: e.kv.value, modRevision: e.kv.modRevision, createRevision: e.kv.createRevision, prevValue: e.prevKv?.value };
  return { type: 'delete', key, modRevision: e.kv.modRevision, prevValue: e.prevKv?.value };
}

function stored(kv: KeyValue): StoredObject {
  return { key: Buffer.from(kv.key).toString('utf8'), value: kv.value, modRevision: kv.modRevision, createRevision: kv.createRevision };
}

function firstKv(resp: TxnResult['responses'][number] | undefined): StoredObject | undefined {
  if (resp === undefined || resp.type !== 'range') return undefined;
  const kv = resp.kvs[0];
  return kv === undefined ? undefined : stored(kv);
}

async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw toStorageError(err);
  }
}

/** The one place KV client errors become storage errors. */
function toStorageError(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  if (err instanceof KvError) {
    const revisions = {
      ...(err.details.compactRevision !== undefined ? { compactRevision: err.details.compactRevision } : {}),
      ...(err.details.currentRevision !== undefined ? { currentRevision: err.details.currentRevision } : {}),
    };
    switch (err.code) {
      case 'Compacted':
        return new StorageError('Compacted', err.message, revisions);
      case 'FutureRevision':
        return new StorageError('FutureRevision', err.message, revisions);
      case 'Timeout':
        return new StorageError('Timeout', err.message);
      case 'Unavailable':
      case 'NotLeader':
      case 'Stopping':
        return new StorageError('Unavailable', err.message);
      default:
        return new StorageError('Internal', `${err.code}: ${err.message}`);
    }
  }
  return new StorageError('Internal', err instanceof Error ? err.message : String(err));
}
