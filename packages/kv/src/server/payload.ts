// What a member puts in a Raft entry, and in a configuration change's context. msgpack, validated on the
// way out of the log too: a corrupt entry must crash loudly, not apply garbage.

import { Packr } from 'msgpackr';
import type { Command } from '@halyard/kv-client/protocol';

export type EntryPayload =
  /** A client write (or a lease revoke/checkpoint proposed by the leader itself). */
  | { readonly kind: 'command'; readonly requestId: string; readonly command: Command }
  /** A member announces its client URLs once it has started (etcd's publish). */
  | { readonly kind: 'publish'; readonly memberId: number; readonly name: string; readonly clientUrls: readonly string[] };

export interface MemberContext {
  readonly name: string;
  readonly peerUrls: readonly string[];
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export function encodePayload(p: EntryPayload): Uint8Array {
  return packr.pack(p);
}

export function decodePayload(data: Uint8Array): EntryPayload {
  const v = packr.unpack(data) as Partial<EntryPayload> | null;
  if (v !== null && typeof v === 'object') {
    if (v.kind === 'command' && typeof v.requestId === 'string' && typeof v.command === 'object' && v.command !== null) return v as EntryPayload;
    if (v.kind === 'publish' && typeof v.memberId === 'number' && typeof v.name === 'string' && Array.isArray(v.clientUrls)) return v as EntryPayload;
  }
  throw new Error('corrupt raft entry payload: not a command or publish record');
}

export function encodeMemberContext(c: MemberContext): Uint8Array {
  return packr.pack(c);
}

export function decodeMemberContext(data: Uint8Array | undefined): MemberContext {
  if (data === undefined) return { name: '', peerUrls: [] };
  const v = packr.unpack(data) as Partial<MemberContext> | null;
  if (v === null || typeof v !== 'object' || typeof v.name !== 'string' || !Array.isArray(v.peerUrls)) {
    throw new Error('corrupt configuration change context');
  }
  return { name: v.name, peerUrls: v.peerUrls.filter((u): u is string => typeof u === 'string') };
}

export function packValue(v: unknown): Uint8Array {
  return packr.pack(v);
}

export function unpackValue(b: Uint8Array): unknown {
  return packr.unpack(b);
}
