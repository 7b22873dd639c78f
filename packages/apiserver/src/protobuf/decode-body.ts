// Request bodies in Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf): the `k8s\0` magic,
// a runtime.Unknown envelope naming apiVersion and kind, and the object's own message, decoded to the same
// JSON the rest of the server handles.
import type { JsonObject } from '../api/json.ts';
import { errors } from '../api/status.ts';
import { MESSAGES, unknownEnvelope } from './k8s-messages.ts';
import { decodeMessage } from './wire.ts';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export function decodeProtobufBody(body: Buffer): JsonObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw errors.badRequest('the protobuf body does not start with the k8s magic prefix');
  const envelope = decodeMessage(body.subarray(MAGIC.length), unknownEnvelope);
  const typeMeta = (envelope['typeMeta'] ?? {}) as JsonObject;
  const apiVersion = typeof typeMeta['apiVersion'] === 'string' ? typeMeta['apiVersion'] : '';
  const kind = typeof typeMeta['kind'] === 'string' ? typeMeta['kind'] : '';
  if (typeof envelope['contentEncoding'] === 'string' && envelope['contentEncoding'] !== '') throw errors.badRequest(`unsupported protobuf content encoding ${JSON.stringify(envelope['contentEncoding'])}`);
  const spec = MESSAGES[`${apiVersion}/${kind}`];
  if (spec === undefined) throw errors.unsupportedMediaType(`${PROTOBUF_CONTENT_TYPE} for ${apiVersion}/${kind}`);
  const raw = typeof envelope['raw'] === 'string' ? Buffer.from(envelope['raw'], 'base64') : Buffer.alloc(0);
  return { apiVersion, kind, ...decodeMessage(raw, spec) };
}
