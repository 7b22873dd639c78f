// Objects in storage: JSON bytes without metadata.resourceVersion (the storage revision is the version, as
// in kube-apiserver's etcd3 store), decoded with resourceVersion set from the key's mod revision.
import { isJsonObject, type JsonObject } from '../api/json.ts';
import { metadataOf, type ApiObject } from '../api/object.ts';
import { StorageError } from '../storage/storage.ts';

export function encodeObject(obj: ApiObject): Uint8Array {
  const copy: JsonObject = { ...obj };
  if (isJsonObject(obj['metadata'])) {
    const { resourceVersion: _rv, ...rest } = obj['metadata'];
    copy['metadata'] = rest;
  }
  return Buffer.from(JSON.stringify(copy), 'utf8');
}

/** Decodes stored bytes, stamping `resourceVersion`. A value that is not a JSON object is a storage fault. */
export function decodeObject(value: Uint8Array, revision: number, key: string): ApiObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value).toString('utf8'));
  } catch {
    throw new StorageError('Internal', `the value at ${key} is not JSON`);
  }
  if (!isJsonObject(parsed)) throw new StorageError('Internal', `the value at ${key} is not a JSON object`);
  metadataOf(parsed)['resourceVersion'] = String(revision);
  return parsed;
}
