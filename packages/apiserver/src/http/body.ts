// Request bodies: read up to a byte limit (kube-apiserver's 3 MiB default), parsed as JSON. Over the limit is
// a 413, malformed JSON a 400 — never a crash.
import type { IncomingMessage } from 'node:http';
import type { Json } from '../api/json.ts';
import { errors } from '../api/status.ts';
import { PROTOBUF_CONTENT_TYPE, decodeProtobufBody } from '../protobuf/decode-body.ts';

export const REQUEST_BODY_BYTES_MAX_DEFAULT = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    throw errors.tooLarge(limitBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > limitBytes) {
      req.resume();
      throw errors.tooLarge(limitBytes);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body; empty or malformed bodies are a 400 with the parser's reason. */
export function parseJson(body: Buffer, what = 'request body'): Json {
  if (body.length === 0) throw errors.badRequest(`the ${what} is empty`);
  try {
    return JSON.parse(body.toString('utf8')) as Json;
  } catch (err) {
    throw errors.badRequest(`the ${what} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * An object body (POST, PUT, DELETE options) in JSON or in Kubernetes' protobuf encoding, which the typed
 * clients (kubectl create configmap/secret/namespace) send. YAML and CBOR are not accepted (415).
 */
export function parseObjectBody(body: Buffer, contentType: string | undefined, what = 'request body'): Json {
  const base = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (base === PROTOBUF_CONTENT_TYPE) return decodeProtobufBody(body);
  if (base !== 'application/json' && base !== '' && base !== '*/*') throw errors.unsupportedMediaType(base);
  return parseJson(body, what);
}
