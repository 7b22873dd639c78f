// How key-value results print, per output format, matching etcdctl: `simple` is key and value lines
// with the bytes exactly as stored (or `\x..` with --hex), `json` and `fields` are etcdctl's (kv-json.ts,
// kv-fields.ts), `table` only for `get` (ours; etcdctl has none). kv-format.ts refuses the rest up front.
import type { DeleteResult, KeyValue, PutResult, RangeResult, TxnResult, WatchBatch } from '@halyard/kv-client';
import type { ResponseOp } from '@halyard/kv-client/protocol';
import { hexEscape, joinOutput } from './kv-bytes.ts';
import { FieldsPrinter } from './kv-fields.ts';
import { idHex, type OutputFormat } from './kv-flags.ts';
import { deleteJson, goJson, putJson, rangeJson, txnJson, watchJson } from './kv-json.ts';
import { formatTable } from './table.ts';

export interface PrintFlags {
  readonly writeOut: OutputFormat;
  readonly hex: boolean;
}

type Output = string | Uint8Array;

const shown = (b: Uint8Array, hex: boolean): Output => (hex ? hexEscape(b) : b);
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** etcdctl's printKV: the key line (unless value-only), then the value line. */
function kvParts(kv: KeyValue, hex: boolean, valueOnly = false): Output[] {
  return valueOnly ? [shown(kv.value, hex), '\n'] : [shown(kv.key, hex), '\n', shown(kv.value, hex), '\n'];
}

function fields(p: PrintFlags, fill: (f: FieldsPrinter) => void): string {
  const f = new FieldsPrinter(p.hex);
  fill(f);
  return f.text();
}

export interface GetPrintOptions {
  readonly valueOnly?: boolean;
  readonly countOnly?: boolean;
}

export function formatGet(result: RangeResult, p: PrintFlags, opts: GetPrintOptions = {}): Output {
  switch (p.writeOut) {
    case 'json':
      return goJson(rangeJson(result));
    case 'fields':
      return fields(p, (f) => f.get(result));
    case 'table':
      if (opts.countOnly === true) return `${result.count}\n`;
      return formatTable(
        ['key', 'value', 'create revision', 'mod revision', 'version', 'lease'],
        result.kvs.map((kv) => [p.hex ? hexEscape(kv.key) : text(kv.key), p.hex ? hexEscape(kv.value) : text(kv.value), String(kv.createRevision), String(kv.modRevision), String(kv.version), kv.lease === 0 ? '' : idHex(kv.lease)]),
      );
    case 'simple':
      if (opts.countOnly === true) return `${result.count}\n`;
      return joinOutput(result.kvs.flatMap((kv) => kvParts(kv, p.hex, opts.valueOnly)));
  }
}

function putSimple(r: Pick<PutResult, 'prevKv'>, hex: boolean): Output[] {
  return ['OK\n', ...(r.prevKv !== undefined ? kvParts(r.prevKv, hex) : [])];
}

export function formatPut(result: PutResult, p: PrintFlags): Output {
  if (p.writeOut === 'json') return goJson(putJson(result));
  if (p.writeOut === 'fields') return fields(p, (f) => f.put(result));
  return joinOutput(putSimple(result, p.hex));
}

function deleteSimple(r: Pick<DeleteResult, 'deleted' | 'prevKvs'>, hex: boolean): Output[] {
  return [`${r.deleted}\n`, ...r.prevKvs.flatMap((kv) => kvParts(kv, hex))];
}

export function formatDelete(result: DeleteResult, p: PrintFlags): Output {
  if (p.writeOut === 'json') return goJson(deleteJson(result));
  if (p.writeOut === 'fields') return fields(p, (f) => f.del(result));
  return joinOutput(deleteSimple(result, p.hex));
}

function responseOpSimple(r: ResponseOp, hex: boolean): Output[] {
  switch (r.type) {
    case 'range':
      return r.kvs.flatMap((kv) => kvParts(kv, hex));
    case 'put':
      return putSimple(r, hex);
    case 'deleteRange':
      return deleteSimple(r, hex);
    case 'txn':
      return txnSimple(r, hex);
    default: {
      const never: never = r;
      return [`unexpected response ${JSON.stringify(never)}\n`];
    }
  }
}

function txnSimple(result: Pick<TxnResult, 'succeeded' | 'responses'>, hex: boolean): Output[] {
  return [result.succeeded ? 'SUCCESS\n' : 'FAILURE\n', ...result.responses.flatMap((r) => ['\n', ...responseOpSimple(r, hex)])];
}

export function formatTxn(result: TxnResult, p: PrintFlags): Output {
  if (p.writeOut === 'json') return goJson(txnJson(result));
  if (p.writeOut === 'fields') return fields(p, (f) => f.txn(result));
  return joinOutput(txnSimple(result, p.hex));
}

/** etcdctl's watch output: the event type, the previous key-value when asked for, then the key-value. */
export function formatWatchBatch(batch: WatchBatch, p: PrintFlags): Output {
  if (p.writeOut === 'json') return goJson(watchJson(batch));
  if (p.writeOut === 'fields') return fields(p, (f) => f.watch(batch));
  return joinOutput(batch.events.flatMap((e) => [e.type === 'put' ? 'PUT\n' : 'DELETE\n', ...(e.prevKv !== undefined ? kvParts(e.prevKv, p.hex) : []), ...kvParts(e.kv, p.hex)]));
}

