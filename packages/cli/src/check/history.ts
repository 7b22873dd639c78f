// The shape of a client history, shared by everything that records one (the simulator's clients, the
// real-cluster fuzzer) and the linearizability checker that judges it.
//
// The model is the KV store's: one global revision bumped by every write that changes something;
// each key holds a value and the revision that last modified it (modRevision). Reads return the
// store revision at which they were served.

export type Op =
  | { readonly type: 'get'; readonly key: string }
  | { readonly type: 'put'; readonly key: string; readonly value: string }
  | { readonly type: 'delete'; readonly key: string }
  /** Put only if the key's modRevision equals `expectedModRevision` (0 = key absent). */
  | { readonly type: 'cas'; readonly key: string; readonly expectedModRevision: number; readonly value: string }
  /** Multi-key transaction: if every compare holds, every put is applied, all at one revision. */
  | {
      readonly type: 'txn';
      readonly compares: readonly { readonly key: string; readonly expectedModRevision: number }[];
      readonly puts: readonly { readonly key: string; readonly value: string }[];
    };

/**
 * `revision` is always the store revision: for an effective write (a put, a delete that deleted something,
 * a cas or txn that succeeded with at least one put) the revision the write created; for anything else the
 * revision the store was at when the operation was served. A get of an absent key returns value null and
 * modRevision 0.
 */
export type Result =
  | { readonly type: 'get'; readonly value: string | null; readonly modRevision: number; readonly revision: number }
  | { readonly type: 'put'; readonly revision: number }
  | { readonly type: 'delete'; readonly deleted: number; readonly revision: number }
  | { readonly type: 'cas'; readonly succeeded: boolean; readonly revision: number }
  | { readonly type: 'txn'; readonly succeeded: boolean; readonly revision: number };

export interface HistoryOp {
  /** Unique within a history. */
  readonly id: number;
  /** One client runs one operation at a time; its operations never overlap. */
  readonly clientId: number;
  /** Invocation time, in any monotonic unit (simulated ticks or ms); only the order matters. */
  readonly invokeTime: number;
  /**
   * null when the outcome is unknown (timeout, crash, lost response): the operation may have taken
   * effect at any point after invokeTime, or never.
   */
  readonly returnTime: number | null;
  readonly op: Op;
  /** null exactly when returnTime is null. */
  readonly result: Result | null;
}

export type History = readonly HistoryOp[];
