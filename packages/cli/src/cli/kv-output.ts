// How KV results print, per output format, matching etcdctl: `simple` is key and value lines, `json` is
// the whole result with bytes as base64 (as etcdctl's JSON), `table` boxes it where etcdctl does.
import { bytesToString, type DeleteResult, type KeyValue, type PutResult, type RangeResult, type TxnResult, type WatchBatch } from '@halyard/kv-client';
import type { ResponseOp } from '@halyard/kv-client/protocol';
import type { OutputFormat } from './kv-flags.ts';
import { formatTable } from './table.ts';

/** JSON of a result: bytes become base64 (etcdctl does the same), everything else as is. */
export function toJson(value: unknown): string {
  // The raw value from the holder: JSON.stringify has already applied Buffer's toJSON to `v`.
  return (
    JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
      const raw = this[key];
      return raw instanceof Uint8Array ? Buffer.from(raw).toString('base64') : v;
    }) + '\n'
  );
}

/** A KV result as JSON, without the state machine's `type` tag at the top (etcdctl has none there). */
export function resultJson(result: { readonly type: string }): string {
  const { type: _type, ...rest } = result;
  return toJson(rest);
}

export function simpleKv(kv: KeyValue, valueOnly = false): string {
  return (valueOnly ? '' : `${bytesToString(kv.key)}\n`) + `${bytesToString(kv.value)}\n`;
}

export interface GetPrintOptions {
  readonly valueOnly?: boolean;
  readonly countOnly?: boolean;
}

export function formatGet(result: RangeResult, format: OutputFormat, opts: GetPrintOptions = {}): string {
  if (format === 'json') return resultJson(result);
  if (opts.countOnly === true) return `${result.count}\n`;
  if (format === 'table') {
    return formatTable(
      ['key', 'value', 'create revision', 'mod revision', 'version', 'lease'],
      result.kvs.map((kv) => [bytesToString(kv.key), bytesToString(kv.value), String(kv.createRevision), String(kv.modRevision), String(kv.version), kv.lease === 0 ? '' : leaseHex(kv.lease)]),
    );
  }
  return result.kvs.map((kv) => simpleKv(kv, opts.valueOnly)).join('');
}

export function formatPut(result: PutResult, format: OutputFormat): string {
  if (format === 'json') return resultJson(result);
  return 'OK\n' + (result.prevKv !== undefined ? simpleKv(result.prevKv) : '');
}

export function formatDelete(result: DeleteResult, format: OutputFormat): string {
  if (format === 'json') return resultJson(result);
  return `${result.deleted}\n` + result.prevKvs.map((kv) => simpleKv(kv)).join('');
}

function formatResponseOp(r: ResponseOp): string {
  switch (r.type) {
    case 'range':
      return r.kvs.map((kv) => simpleKv(kv)).join('');
    case 'put':
      return 'OK\n' + (r.prevKv !== undefined ? simpleKv(r.prevKv) : '');
    case 'deleteRange':
      return `${r.deleted}\n` + r.prevKvs.map((kv) => simpleKv(kv)).join('');
    case 'txn':
      return formatTxnSimple(r);
    default: {
      const never: never = r;
      return `${JSON.stringify(never)}\n`;
    }
  }
}

function formatTxnSimple(result: Pick<TxnResult, 'succeeded' | 'responses'>): string {
  return (result.succeeded ? 'SUCCESS\n' : 'FAILURE\n') + result.responses.map((r) => '\n' + formatResponseOp(r)).join('');
}

export function formatTxn(result: TxnResult, format: OutputFormat): string {
  return format === 'json' ? resultJson(result) : formatTxnSimple(result);
}

/** etcdctl's watch output: the event type, the previous key-value when asked for, then the key-value. */
export function formatWatchBatch(batch: WatchBatch, format: OutputFormat): string {
  if (format === 'json') return toJson(batch);
  return batch.events
    .map((e) => (e.type === 'put' ? 'PUT\n' : 'DELETE\n') + (e.prevKv !== undefined ? simpleKv(e.prevKv) : '') + simpleKv(e.kv))
    .join('');
}

/** Lease ids print as etcdctl prints them: 16 hex digits. */
export function leaseHex(id: number): string {
  return id.toString(16).padStart(16, '0');
}

/** Member and cluster ids print as etcdctl's `%x`. */
export function memberHex(id: number): string {
  return id.toString(16);
}
