// Exactly-once writes across retries: the state machine remembers the outcome of recent requests by
// their requestId, so a write retried after a lost response (timeout, failover) is answered from here
// instead of being applied twice. Part of the replicated state: eviction is FIFO in apply order, so every
// member evicts the same ids at the same index and snapshots carry the table.

import type { WireError, Response } from '@halyard/kv-client/protocol';

export type Outcome = { readonly ok: true; readonly response: Response } | { readonly ok: false; readonly error: WireError };

/** Bound on remembered outcomes. A retry later than this many writes after the original is not deduplicated. */
export const DEDUPE_ENTRIES_MAX = 20_000;

export class DedupeTable {
  private readonly outcomes = new Map<string, Outcome>();

  constructor(private readonly entriesMax = DEDUPE_ENTRIES_MAX) {}

  get(requestId: string): Outcome | undefined {
    return this.outcomes.get(requestId);
  }

  record(requestId: string, outcome: Outcome): void {
    this.outcomes.set(requestId, outcome);
    while (this.outcomes.size > this.entriesMax) {
      const oldest = this.outcomes.keys().next().value as string;
      this.outcomes.delete(oldest);
    }
  }

  entries(): [string, Outcome][] {
    return [...this.outcomes.entries()];
  }

  static from(entries: readonly [string, Outcome][], entriesMax = DEDUPE_ENTRIES_MAX): DedupeTable {
    const t = new DedupeTable(entriesMax);
    for (const [id, o] of entries) t.record(id, o);
    return t;
  }
}
