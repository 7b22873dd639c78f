// The replicated state machine of the simulation: a plain KV map with one global revision, the same
// model as check/history.ts, so every client result can be compared with the checker's model.
// Commands travel as JSON in entry data; that encoding is for the simulator only.

import type { Entry } from '@halyard/kv/raft';
import type { Result } from '../check/history.ts';

/** A write a client proposes; `reqId` makes every command (and every value) unique in a run. */
export type Command =
  | { readonly reqId: string; readonly type: 'put'; readonly key: string; readonly value: string }
  | { readonly reqId: string; readonly type: 'cas'; readonly key: string; readonly expectedModRevision: number; readonly value: string }
  /** The liveness probe: commits like a write but changes nothing, so client histories stay self-contained. */
  | { readonly reqId: string; readonly type: 'noop' };

export interface KeyValue {
  readonly value: string;
  readonly modRevision: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(c: Command): Uint8Array {
  return encoder.encode(JSON.stringify(c));
}

/** Entries with empty data are the leader's no-op of a new term (§8); they change nothing. */
export function decodeCommand(data: Uint8Array): Command | undefined {
  if (data.byteLength === 0) return undefined;
  return JSON.parse(decoder.decode(data)) as Command;
}

/** A stable identity for an entry, used by the invariant checker's ghost records. */
export function entryFingerprint(e: Entry): string {
  if (e.type === 'confChange') return `${e.term}/cc:${e.change.type}:${e.change.nodeId}`;
  return `${e.term}/${e.data.byteLength === 0 ? '' : decoder.decode(e.data)}`;
}

interface SnapshotImage {
  readonly appliedIndex: number;
  readonly revision: number;
  readonly kv: readonly [string, KeyValue][];
  readonly appliedReqIds: readonly string[];
}

export class KvStateMachine {
  private readonly kv = new Map<string, KeyValue>();
  private revisionValue = 0;
  private appliedIndexValue = 0;
  /**
   * Request ids already applied. A forwarded proposal duplicated by the network is appended twice;
   * like the server's dedupe table, the second copy must change nothing. Part of the snapshot, so
   * every member decides alike. Unbounded: a run is short.
   */
  private readonly appliedReqIds = new Set<string>();
  private duplicatesIgnoredValue = 0;

  get revision(): number {
    return this.revisionValue;
  }

  get appliedIndex(): number {
    return this.appliedIndexValue;
  }

  /** How many duplicated commands this state machine has ignored (for the simulator's statistics). */
  get duplicatesIgnored(): number {
    return this.duplicatesIgnoredValue;
  }

  get(key: string): KeyValue | undefined {
    return this.kv.get(key);
  }

  /**
   * Apply one committed entry. Returns the command and its result when the entry carried one, so the
   * client that proposed it can be answered.
   */
  apply(e: Entry): { command: Command; result: Result | undefined } | undefined {
    if (e.index !== this.appliedIndexValue + 1) {
      throw new Error(`state machine applies ${e.index} after ${this.appliedIndexValue}: entries must be applied in order`);
    }
    this.appliedIndexValue = e.index;
    if (e.type !== 'normal') return undefined;
    const command = decodeCommand(e.data);
    if (command === undefined) return undefined;
    if (this.appliedReqIds.has(command.reqId)) {
      this.duplicatesIgnoredValue++;
      return undefined;
    }
    this.appliedReqIds.add(command.reqId);
    switch (command.type) {
      case 'put':
        this.revisionValue++;
        this.kv.set(command.key, { value: command.value, modRevision: this.revisionValue });
        return { command, result: { type: 'put', revision: this.revisionValue } };
      case 'cas': {
        const current = this.kv.get(command.key)?.modRevision ?? 0;
        if (current !== command.expectedModRevision) {
          return { command, result: { type: 'cas', succeeded: false, revision: this.revisionValue } };
        }
        this.revisionValue++;
        this.kv.set(command.key, { value: command.value, modRevision: this.revisionValue });
        return { command, result: { type: 'cas', succeeded: true, revision: this.revisionValue } };
      }
      case 'noop':
        return { command, result: undefined };
      default: {
        const never: never = command;
        throw new Error(`unknown command ${JSON.stringify(never)}`);
      }
    }
  }

  snapshot(): Uint8Array {
    const image: SnapshotImage = {
      appliedIndex: this.appliedIndexValue,
      revision: this.revisionValue,
      kv: [...this.kv.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
      appliedReqIds: [...this.appliedReqIds].sort(),
    };
    return encoder.encode(JSON.stringify(image));
  }

  /** Rebuild from a snapshot's data; an empty image (the bootstrap snapshot) is the empty store at `index`. */
  static restore(data: Uint8Array, index: number): KvStateMachine {
    const sm = new KvStateMachine();
    sm.appliedIndexValue = index;
    if (data.byteLength === 0) {
      if (index !== 0) throw new Error(`snapshot at ${index} carries no state machine image`);
      return sm;
    }
    const image = JSON.parse(decoder.decode(data)) as SnapshotImage;
    if (image.appliedIndex !== index) throw new Error(`snapshot image is at ${image.appliedIndex}, metadata says ${index}`);
    sm.revisionValue = image.revision;
    for (const [k, v] of image.kv) sm.kv.set(k, v);
    for (const id of image.appliedReqIds) sm.appliedReqIds.add(id);
    return sm;
  }
}
