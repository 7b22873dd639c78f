// JSON merge patch (RFC 7386): objects merge recursively, null deletes, anything else replaces.
import { cloneJson, isJsonObject, type Json } from '../api/json.ts';

export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const out = isJsonObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
