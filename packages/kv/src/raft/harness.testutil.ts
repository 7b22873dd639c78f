// A synchronous, in-memory network of RaftNodes for the core's unit tests: every Ready is persisted at
// once, then its messages are delivered (or dropped by a filter) in FIFO order until nothing moves.

import { SeededRng } from '../util/rng.ts';
import { type RaftBugs, type RaftConfig, RaftNode } from './node.ts';
import { MemoryStorage } from './storage.ts';
import type { Entry, Message, NodeId, Ready, ReadState } from './types.ts';

export interface HarnessNode {
  node: RaftNode;
  storage: MemoryStorage;
  applied: Entry[];
  readStates: ReadState[];
}

export type MessageFilter = (m: Message) => boolean;

/**
 * Readies one drain may take from one node before the test fails. Every test in raft/ takes at most 22 in
 * a row (measured 2026-11-30); a node whose `hasReady()` never turns false (a broken Ready contract, as
 * mutation testing makes one) would otherwise spin forever, and a test that hangs reads as a timeout, not
 * as the broken rule it is.
 */
export const READIES_PER_DRAIN_MAX = 1_000;

/**
 * Messages `Harness.stabilize` delivers before it fails. The longest exchange in raft/'s tests is 50
 * messages (measured 2026-11-30); a livelock — two nodes answering each other forever — fails here in
 * well under a second instead of hanging.
 */
export const STABILIZE_STEPS_MAX = 10_000;

/**
 * Calls `take` for each pending Ready of `node` until it has none, failing after `READIES_PER_DRAIN_MAX`:
 * the one loop every raft test uses to drain a node, so none of them can spin on a broken Ready loop.
 * `take` persists the Ready and calls `advance()`; `limit` stops earlier without failing (a slow applier).
 */
export function drainReadies(node: RaftNode, take: (rd: Ready) => void, limit = Number.POSITIVE_INFINITY): number {
  let n = 0;
  for (; n < limit && node.hasReady(); n++) {
    if (n >= READIES_PER_DRAIN_MAX) {
      throw new Error(`node ${node.id} still has a Ready after ${READIES_PER_DRAIN_MAX} in a row: the Ready loop does not settle`);
    }
    take(node.ready());
  }
  return n;
}

export class Harness {
  readonly nodes = new Map<NodeId, HarnessNode>();
  /** Return false to drop a message. */
  filter: MessageFilter = () => true;
  readonly delivered: Message[] = [];
  /**
   * Nodes whose application lags, as a member's does when it applies one batch while the next is written:
   * each flush takes at most one Ready from them (with `maxCommittedSizePerReadyBytes: 1`, one committed
   * entry per delivered message), so their applied index trails their commit index.
   */
  readonly slowAppliers = new Set<NodeId>();
  private queue: Message[] = [];

  constructor(
    ids: readonly NodeId[],
    private readonly opts: Partial<Omit<RaftConfig, 'id' | 'storage' | 'rng'>> & { seed?: number; bugs?: RaftBugs } = {},
  ) {
    for (const id of ids) this.add(id, new MemoryStorage({ voters: [...ids], learners: [] }));
  }

  add(id: NodeId, storage: MemoryStorage, applied = 0): HarnessNode {
    const node = new RaftNode({
      electionTicks: 10,
      heartbeatTicks: 1,
      ...this.opts,
      id,
      storage,
      applied,
      rng: new SeededRng((this.opts.seed ?? 1) * 1000 + id),
    });
    const h: HarnessNode = { node, storage, applied: [], readStates: [] };
    this.nodes.set(id, h);
    return h;
  }

  get(id: NodeId): RaftNode {
    return this.nodes.get(id)!.node;
  }

  /** Persist and collect every pending Ready, queueing its messages. */
  flushReadies(): boolean {
    let any = false;
    for (const h of this.nodes.values()) {
      const readiesMax = this.slowAppliers.has(h.node.id) ? 1 : Number.POSITIVE_INFINITY;
      const taken = drainReadies(
        h.node,
        (rd) => {
          if (rd.snapshot !== undefined) h.storage.applySnapshot(rd.snapshot);
          h.storage.append(rd.entries);
          if (rd.hardState !== undefined) h.storage.setHardState(rd.hardState);
          for (const m of rd.messages) this.queue.push(m);
          for (const e of rd.committedEntries) h.applied.push(e);
          for (const r of rd.readStates) h.readStates.push(r);
          h.node.advance();
        },
        readiesMax,
      );
      if (taken > 0) any = true;
    }
    return any;
  }

  /** Deliver until quiescent (bounded: a livelock is a test failure, not a hang). */
  stabilize(maxSteps = STABILIZE_STEPS_MAX): void {
    for (let steps = 0; ; steps++) {
      if (steps > maxSteps) {
        const tail = this.delivered.slice(-6).map((m) => `${m.from}->${m.to} ${m.type} term ${m.term}`);
        throw new Error(`harness did not stabilize; last delivered: ${tail.join('; ')}`);
      }
      this.flushReadies();
      const m = this.queue.shift();
      if (m === undefined) return;
      if (!this.filter(m)) continue;
      const target = this.nodes.get(m.to);
      if (target === undefined) continue;
      this.delivered.push(m);
      target.node.step(m);
    }
  }

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) this.get(id).tick();
  }

  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const h of this.nodes.values()) h.node.tick();
      this.stabilize();
    }
  }

  /** Make `id` campaign and run the election to completion. */
  elect(id: NodeId): void {
    this.get(id).campaign();
    this.stabilize();
  }

  propose(id: NodeId, text: string): { index: number; term: number } {
    const r = this.get(id).propose(new TextEncoder().encode(text));
    this.stabilize();
    return r;
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()].filter((h) => h.node.status().role === 'leader').map((h) => h.node.id);
  }

  appliedTexts(id: NodeId): string[] {
    return this.nodes
      .get(id)!
      .applied.filter((e) => e.type === 'normal' && e.data.byteLength > 0)
      .map((e) => (e.type === 'normal' ? new TextDecoder().decode(e.data) : ''));
  }

  /** Snapshot node `id`'s state at its applied index and compact its log there (Raft §7); returns that index. */
  compactLog(id: NodeId, data: Uint8Array = new Uint8Array([1])): number {
    const h = this.nodes.get(id)!;
    const index = h.node.status().applied;
    h.storage.createSnapshot(index, h.node.status().confState, data);
    h.storage.compact(index);
    return index;
  }

  isolate(id: NodeId): void {
    this.filter = (m) => m.from !== id && m.to !== id;
  }

  heal(): void {
    this.filter = () => true;
  }
}
