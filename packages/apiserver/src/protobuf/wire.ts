// A protobuf wire-format reader driven by a declarative message spec: enough to decode the request bodies the
// typed Kubernetes clients send (kubectl's `create configmap`/`create secret`/`create namespace` use the
// protobuf content type for built-in kinds). Unknown fields are skipped, as protobuf readers do.
import type { Json, JsonObject } from '../api/json.ts';
import { errors } from '../api/status.ts';

export type ScalarKind = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'time' | 'microTime';

export type FieldSpec =
  | { readonly name: string; readonly kind: ScalarKind; readonly repeated?: boolean }
  | { readonly name: string; readonly kind: 'message'; readonly message: MessageSpec; readonly repeated?: boolean }
  /** map<string, string|bytes>: repeated entries {key = 1, value = 2}. */
  | { readonly name: string; readonly kind: 'map'; readonly value: 'string' | 'bytes' };

export type MessageSpec = Readonly<Record<number, FieldSpec>>;

/** Bound on message nesting, so a hostile body cannot recurse deeply. */
export const MESSAGE_DEPTH_MAX = 32;

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  fail(what: string): never {
    throw errors.badRequest(`the protobuf body is malformed: ${what} at byte ${this.pos}`);
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.done()) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    return this.fail('varint longer than 10 bytes');
  }

  bytes(): Uint8Array {
    const len = Number(this.varint());
    if (len > this.buf.length - this.pos) this.fail('length beyond the end of the body');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.bytes();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        this.fail(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.buf.length) this.fail('truncated fixed-width field');
  }
}

function toSafeNumber(v: bigint, signed32: boolean, r: Reader): number {
  let n = v;
  if (signed32) n = BigInt.asIntN(32, v);
  else n = BigInt.asIntN(64, v);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) r.fail('integer beyond 2^53');
  return Number(n);
}

/** google.protobuf.Timestamp-shaped {seconds = 1, nanos = 2} as metav1.Time / MicroTime JSON. */
function decodeTime(bytes: Uint8Array, micro: boolean): string {
  const r = new Reader(bytes);
  let seconds = 0;
  let nanos = 0;
  while (!r.done()) {
    const tag = Number(r.varint());
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 0) seconds = toSafeNumber(r.varint(), false, r);
    else if (field === 2 && (tag & 7) === 0) nanos = toSafeNumber(r.varint(), true, r);
    else r.skip(tag & 7);
  }
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}

function decodeScalar(kind: ScalarKind, r: Reader, wireType: number): Json {
  switch (kind) {
    case 'string':
      if (wireType !== 2) r.fail('string field with a non-length-delimited wire type');
      return Buffer.from(r.bytes()).toString('utf8');
    case 'bytes':
      if (wireType !== 2) r.fail('bytes field with a non-length-delimited wire type');
      return Buffer.from(r.bytes()).toString('base64');
    case 'bool':
      if (wireType !== 0) r.fail('bool field with a non-varint wire type');
      return r.varint() !== 0n;
    case 'int32':
    case 'int64':
      if (wireType !== 0) r.fail('integer field with a non-varint wire type');
      return toSafeNumber(r.varint(), kind === 'int32', r);
    case 'time':
    case 'microTime':
      if (wireType !== 2) r.fail('time field with a non-length-delimited wire type');
      return decodeTime(r.bytes(), kind === 'microTime');
    default: {
      const never: never = kind;
      return never;
    }
  }
}

function decodeMapEntry(bytes: Uint8Array, value: 'string' | 'bytes'): [string, string] {
  const r = new Reader(bytes);
  let key = '';
  let val = '';
  while (!r.done()) {
    const tag = Number(r.varint());
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 2) key = Buffer.from(r.bytes()).toString('utf8');
    else if (field === 2 && (tag & 7) === 2) val = value === 'string' ? Buffer.from(r.bytes()).toString('utf8') : Buffer.from(r.bytes()).toString('base64');
    else r.skip(tag & 7);
  }
  return [key, val];
}

/** Decodes one message into JSON (field names from the spec; absent fields stay absent). */
export function decodeMessage(bytes: Uint8Array, spec: MessageSpec, depth = 0): JsonObject {
  if (depth > MESSAGE_DEPTH_MAX) throw errors.badRequest('the protobuf body nests too deeply');
  const r = new Reader(bytes);
  const out: JsonObject = {};
  while (!r.done()) {
    const tag = r.varint();
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    const f = spec[field];
    if (f === undefined) {
      r.skip(wireType);
      continue;
    }
    if (f.kind === 'map') {
      if (wireType !== 2) r.fail(`map field ${f.name} with a non-length-delimited wire type`);
      const [k, v] = decodeMapEntry(r.bytes(), f.value);
      const m = (out[f.name] ??= {}) as JsonObject;
      m[k] = v;
      continue;
    }
    let value: Json;
    if (f.kind === 'message') {
      if (wireType !== 2) r.fail(`message field ${f.name} with a non-length-delimited wire type`);
      value = decodeMessage(r.bytes(), f.message, depth + 1);
    } else {
      value = decodeScalar(f.kind, r, wireType);
    }
    if (f.repeated === true) ((out[f.name] ??= []) as Json[]).push(value);
    else out[f.name] = value;
  }
  return out;
}
