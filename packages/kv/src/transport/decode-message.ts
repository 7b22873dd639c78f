// Validation of one raft Message received from the network. Every field of every variant is checked
// and a fresh object is built, so the core only ever sees well-typed, bounded data; a new variant in
// raft/types.ts fails the build here until it is handled (the `never` check).

import type { Entry, Message, MessageType, NodeId, Snapshot } from '../raft/types.ts';
import {
  ShapeError,
  decodeEntry,
  decodeSnapshotMetadata,
  expectArray,
  expectBool,
  expectBytes,
  expectNodeId,
  expectObject,
  expectString,
  expectUint,
} from '../storage/shape.ts';

/** Far above what the core batches (it bounds appends by size); bounds validation work per message. */
export const ENTRIES_PER_MESSAGE_MAX = 65_536;
/** ReadIndex request ids are the caller's correlation ids; anything longer is not one of ours. */
export const REQUEST_ID_LENGTH_MAX = 256;

const MESSAGE_TYPES: Readonly<Record<MessageType, true>> = {
  preVote: true,
  preVoteResponse: true,
  vote: true,
  voteResponse: true,
  append: true,
  appendResponse: true,
  heartbeat: true,
  heartbeatResponse: true,
  snapshot: true,
  timeoutNow: true,
  readIndex: true,
  readIndexResponse: true,
  propose: true,
};

function isMessageType(v: unknown): v is MessageType {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(MESSAGE_TYPES, v);
}

export function decodeSnapshot(v: unknown, path: string): Snapshot {
  const o = expectObject(v, path);
  return { metadata: decodeSnapshotMetadata(o['metadata'], `${path}.metadata`), data: expectBytes(o['data'], `${path}.data`) };
}

function decodeEntries(v: unknown, path: string, prevLogIndex: number): Entry[] {
  const raw = expectArray(v, path, ENTRIES_PER_MESSAGE_MAX);
  const out: Entry[] = [];
  for (let i = 0; i < raw.length; i++) {
    const e = decodeEntry(raw[i], `${path}[${i}]`);
    // An append carries the contiguous run after prevLogIndex (Raft §5.3); anything else is not from a leader.
    if (e.index !== prevLogIndex + 1 + i) throw new ShapeError(`${path}[${i}].index`, `${prevLogIndex + 1 + i}`);
    out.push(e);
  }
  return out;
}

/** Validate an untrusted decoded value as a Message. Throws ShapeError naming the first bad field. */
export function decodeMessage(v: unknown, path = 'msg'): Message {
  const o = expectObject(v, path);
  const type = o['type'];
  if (!isMessageType(type)) throw new ShapeError(`${path}.type`, 'a known message type');
  const from: NodeId = expectNodeId(o['from'], `${path}.from`, false);
  const to: NodeId = expectNodeId(o['to'], `${path}.to`, false);
  const term = expectUint(o['term'], `${path}.term`);
  const f = (name: string): unknown => o[name];
  const p = (name: string): string => `${path}.${name}`;
  switch (type) {
    case 'preVote':
      return { type, from, to, term, lastLogIndex: expectUint(f('lastLogIndex'), p('lastLogIndex')), lastLogTerm: expectUint(f('lastLogTerm'), p('lastLogTerm')) };
    case 'preVoteResponse':
    case 'voteResponse':
      return { type, from, to, term, reject: expectBool(f('reject'), p('reject')) };
    case 'vote':
      return {
        type,
        from,
        to,
        term,
        lastLogIndex: expectUint(f('lastLogIndex'), p('lastLogIndex')),
        lastLogTerm: expectUint(f('lastLogTerm'), p('lastLogTerm')),
        transfer: expectBool(f('transfer'), p('transfer')),
      };
    case 'append': {
      const prevLogIndex = expectUint(f('prevLogIndex'), p('prevLogIndex'));
      return {
        type,
        from,
        to,
        term,
        prevLogIndex,
        prevLogTerm: expectUint(f('prevLogTerm'), p('prevLogTerm')),
        entries: decodeEntries(f('entries'), p('entries'), prevLogIndex),
        commit: expectUint(f('commit'), p('commit')),
      };
    }
    case 'appendResponse':
      return {
        type,
        from,
        to,
        term,
        reject: expectBool(f('reject'), p('reject')),
        index: expectUint(f('index'), p('index')),
        rejectHint: expectUint(f('rejectHint'), p('rejectHint')),
        logTerm: expectUint(f('logTerm'), p('logTerm')),
      };
    case 'heartbeat':
      return { type, from, to, term, commit: expectUint(f('commit'), p('commit')), context: expectUint(f('context'), p('context')) };
    case 'heartbeatResponse':
      return { type, from, to, term, context: expectUint(f('context'), p('context')) };
    case 'snapshot':
      return { type, from, to, term, snapshot: decodeSnapshot(f('snapshot'), p('snapshot')) };
    case 'timeoutNow':
      return { type, from, to, term };
    case 'readIndex':
      return { type, from, to, term, requestId: expectString(f('requestId'), p('requestId'), REQUEST_ID_LENGTH_MAX) };
    case 'propose':
      return { type, from, to, term, data: expectBytes(f('data'), p('data')) };
    case 'readIndexResponse':
      return {
        type,
        from,
        to,
        term,
        requestId: expectString(f('requestId'), p('requestId'), REQUEST_ID_LENGTH_MAX),
        index: expectUint(f('index'), p('index')),
        reject: expectBool(f('reject'), p('reject')),
      };
    default: {
      const unhandled: never = type;
      throw new ShapeError(`${path}.type`, `a handled message type, got ${String(unhandled)}`);
    }
  }
}
