// Field-by-field validation of decoded (untrusted) data into the raft boundary types. Used on every
// record read from disk and, through the transport's decodeMessage, on every frame from the network.
// Each check builds a fresh object holding only the known fields, so nothing a decoder attached
// (extra keys, prototypes) leaks past the boundary.

import type { ConfChange, ConfChangeType, ConfState, Entry, HardState, NodeId, SnapshotMetadata } from '../raft/types.ts';

/** Upper bound on members listed in a ConfState; far above any real cluster, low enough to bound memory. */
export const CONF_STATE_MEMBERS_MAX = 1024;

/** A value did not have the expected shape. `fieldPath` names where, e.g. `entries[3].term`. */
export class ShapeError extends Error {
  readonly fieldPath: string;
  constructor(fieldPath: string, expected: string) {
    super(`${fieldPath || '(root)'}: expected ${expected}`);
    this.name = 'ShapeError';
    this.fieldPath = fieldPath;
  }
}

export type Obj = Readonly<Record<string, unknown>>;

export function expectObject(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) throw new ShapeError(path, 'an object');
  return v as Obj;
}

/** A non-negative safe integer: terms, indices, sizes. Rejects floats, NaN, bigint and negatives. */
export function expectUint(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ShapeError(path, 'a non-negative safe integer');
  return v;
}

export function expectNodeId(v: unknown, path: string, allowNone: boolean): NodeId {
  const n = expectUint(v, path);
  if (!allowNone && n === 0) throw new ShapeError(path, 'a node id > 0');
  return n;
}

export function expectBool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new ShapeError(path, 'a boolean');
  return v;
}

export function expectBytes(v: unknown, path: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new ShapeError(path, 'bytes');
  return v;
}

export function expectString(v: unknown, path: string, lengthMax: number): string {
  if (typeof v !== 'string' || v.length > lengthMax) throw new ShapeError(path, `a string of at most ${lengthMax} characters`);
  return v;
}

export function expectArray(v: unknown, path: string, lengthMax: number): readonly unknown[] {
  if (!Array.isArray(v) || v.length > lengthMax) throw new ShapeError(path, `an array of at most ${lengthMax} items`);
  return v;
}

const CONF_CHANGE_TYPES: ReadonlySet<string> = new Set<ConfChangeType>(['addVoter', 'addLearner', 'promoteLearner', 'removeNode']);

export function decodeConfChange(v: unknown, path: string): ConfChange {
  const o = expectObject(v, path);
  const type = o['type'];
  if (typeof type !== 'string' || !CONF_CHANGE_TYPES.has(type)) throw new ShapeError(`${path}.type`, 'a conf change type');
  const nodeId = expectNodeId(o['nodeId'], `${path}.nodeId`, false);
  if (o['context'] === undefined || o['context'] === null) return { type: type as ConfChangeType, nodeId };
  return { type: type as ConfChangeType, nodeId, context: expectBytes(o['context'], `${path}.context`) };
}

export function decodeEntry(v: unknown, path: string): Entry {
  const o = expectObject(v, path);
  const term = expectUint(o['term'], `${path}.term`);
  const index = expectUint(o['index'], `${path}.index`);
  if (index === 0) throw new ShapeError(`${path}.index`, 'an index ≥ 1');
  switch (o['type']) {
    case 'normal':
      return { type: 'normal', term, index, data: expectBytes(o['data'], `${path}.data`) };
    case 'confChange':
      return { type: 'confChange', term, index, change: decodeConfChange(o['change'], `${path}.change`) };
    default:
      throw new ShapeError(`${path}.type`, "'normal' or 'confChange'");
  }
}

export function decodeHardState(v: unknown, path: string): HardState {
  const o = expectObject(v, path);
  return {
    term: expectUint(o['term'], `${path}.term`),
    vote: expectNodeId(o['vote'], `${path}.vote`, true),
    commit: expectUint(o['commit'], `${path}.commit`),
  };
}

function decodeNodeIds(v: unknown, path: string): NodeId[] {
  const ids = expectArray(v, path, CONF_STATE_MEMBERS_MAX).map((x, i) => expectNodeId(x, `${path}[${i}]`, false));
  if (new Set(ids).size !== ids.length) throw new ShapeError(path, 'distinct node ids');
  return ids;
}

export function decodeConfState(v: unknown, path: string): ConfState {
  const o = expectObject(v, path);
  const voters = decodeNodeIds(o['voters'], `${path}.voters`);
  const learners = decodeNodeIds(o['learners'], `${path}.learners`);
  const voterSet = new Set(voters);
  if (learners.some((id) => voterSet.has(id))) throw new ShapeError(path, 'no node both voter and learner');
  return { voters, learners };
}

export function decodeSnapshotMetadata(v: unknown, path: string): SnapshotMetadata {
  const o = expectObject(v, path);
  return {
    index: expectUint(o['index'], `${path}.index`),
    term: expectUint(o['term'], `${path}.term`),
    confState: decodeConfState(o['confState'], `${path}.confState`),
  };
}
