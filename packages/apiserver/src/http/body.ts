// Request bodies: read up to a byte limit (kube-apiserver's 3 MiB default), parsed as JSON. Over the limit is
// a 413, malformed JSON a 400 — never a crash.
import type { IncomingMessage } from 'node:http';
import type { Json } from '../api/json.ts';
import { errors } from '../api/status.ts';

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

/** Bodies of POST and PUT must be JSON (YAML and protobuf are not served). */
export function checkJsonContentType(contentType: string | undefined): void {
  const base = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (base !== 'application/json' && base !== '' && base !== '*/*') throw errors.unsupportedMediaType(base);
}
