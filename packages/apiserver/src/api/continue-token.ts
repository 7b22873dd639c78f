// The opaque `continue` token of a paged list. Like kube-apiserver's it carries the revision of the first
// page (so every page reads the same snapshot) and the key to resume after, base64-encoded JSON.
import { errors } from './status.ts';

export interface ContinueToken {
  /** The revision every page of this list is read at. */
  readonly revision: number;
  /** Storage key (below the resource prefix) to resume from, inclusive. */
  readonly startKey: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.revision, start: t.startKey }), 'utf8').toString('base64url');
}

/** Decodes a token; anything malformed is the 400 kube-apiserver gives for a bad continue parameter. */
export function decodeContinue(token: string): ContinueToken {
  const bad = (): never => {
    throw errors.badRequest('continue key is not valid: the continue token is malformed');
  };
  let parsed: unknown;
  try {
    const text = Buffer.from(token, 'base64url').toString('utf8');
    parsed = JSON.parse(text);
  } catch {
    return bad();
  }
  if (typeof parsed !== 'object' || parsed === null) return bad();
  const o = parsed as Record<string, unknown>;
  if (o['v'] !== 'meta.k8s.io/v1' || typeof o['rv'] !== 'number' || !Number.isSafeInteger(o['rv']) || (o['rv'] as number) <= 0 || typeof o['start'] !== 'string') return bad();
  const startKey = o['start'] as string;
  // The key is relative to the resource prefix; a token must not steer a read outside it.
  if (startKey.startsWith('/') || startKey.includes('..')) return bad();
  return { revision: o['rv'] as number, startKey };
}
