// The three patch types kube-apiserver accepts on PATCH, chosen by Content-Type. Server-side apply
// (application/apply-patch+yaml) is not supported: it needs managed-fields tracking this server does not do.
import fastJsonPatch from 'fast-json-patch';
import { isJsonObject, type Json, type JsonObject } from '../api/json.ts';
import { ApiError, errors } from '../api/status.ts';
import type { FieldSchema } from '../registry/schema.ts';
import { applyMergePatch } from './merge-patch.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';

export type PatchType = 'json' | 'merge' | 'strategic';

const CONTENT_TYPES: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

export const PATCH_CONTENT_TYPES: readonly string[] = Object.keys(CONTENT_TYPES);

/** The patch type of a Content-Type header; 415 for anything else. */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const t = CONTENT_TYPES[base];
  if (t === undefined) throw errors.unsupportedMediaType(base === '' ? '<none>' : base);
  return t;
}

/** Bound on operations in one JSON patch. */
export const JSON_PATCH_OPERATIONS_MAX = 10_000;

/** Checks the shape of a parsed patch body before it is applied to anything. */
export function checkPatchDocument(type: PatchType, patch: Json): void {
  if (type === 'json') {
    if (!Array.isArray(patch)) throw errors.badRequest('a JSON patch must be a list of operations');
    if (patch.length > JSON_PATCH_OPERATIONS_MAX) throw errors.badRequest(`a JSON patch may have at most ${JSON_PATCH_OPERATIONS_MAX} operations`);
    const problem = fastJsonPatch.validate(patch as unknown as fastJsonPatch.Operation[]);
    if (problem !== undefined) throw errors.badRequest(`invalid JSON patch: ${problem.message}`);
  } else if (!isJsonObject(patch)) {
    throw errors.badRequest(`a ${type === 'merge' ? 'merge' : 'strategic merge'} patch must be a JSON object`);
  }
}

/** Applies a checked patch to an object; a patch that cannot apply (a failed `test`, a missing path) is a 422. */
export function applyPatch(type: PatchType, original: JsonObject, patch: Json, schema: FieldSchema): Json {
  switch (type) {
    case 'merge':
      return applyMergePatch(original, patch);
    case 'strategic':
      return applyStrategicMergePatch(original, patch as JsonObject, schema);
    case 'json':
      try {
        return fastJsonPatch.applyPatch(structuredClone(original), patch as unknown as fastJsonPatch.Operation[], true, false).newDocument as Json;
      } catch (err) {
        if (err instanceof ApiError) throw err;
        const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);
      }
    default: {
      const never: never = type;
      return never;
    }
  }
}
