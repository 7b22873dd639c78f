// The simulated network between members: every message gets a random delay (which reorders them),
// may be dropped or duplicated, and directed links can be cut — A→B cut while B→A still works is the
// asymmetric partition that exposes CheckQuorum and PreVote bugs.

import type { Message, NodeId } from '@halyard/kv/raft';
import type { Rng } from '@halyard/kv/util';

export interface NetworkConfig {
  /** Lower bound of a message's one-way delay. */
  readonly delayMsMin: number;
  /** Upper bound (inclusive). With delayMsMin === delayMsMax the network is FIFO per link. */
  readonly delayMsMax: number;
  readonly dropProbability: number;
  readonly duplicateProbability: number;
}

export type SendOutcome = 'sent' | 'dropped' | 'cut' | 'duplicated';

/** A delivery the simulator must schedule. */
export interface Delivery {
  readonly atMs: number;
  readonly message: Message;
}

export class Network {
  private cfg: NetworkConfig;
  private readonly rng: Rng;
  /** Directed cut links, keyed "from>to". */
  private readonly cut = new Set<string>();

  constructor(cfg: NetworkConfig, rng: Rng) {
    if (!(cfg.delayMsMin >= 0 && cfg.delayMsMax >= cfg.delayMsMin)) throw new RangeError('need 0 ≤ delayMsMin ≤ delayMsMax');
    this.cfg = cfg;
    this.rng = rng;
  }

  get config(): NetworkConfig {
    return this.cfg;
  }

  /** Used when faults stop: the liveness phase runs on a network that still delays but never loses. */
  reconfigure(cfg: NetworkConfig): void {
    this.cfg = cfg;
  }

  cutLink(from: NodeId, to: NodeId): void {
    if (from !== to) this.cut.add(`${from}>${to}`);
  }

  healAll(): void {
    this.cut.clear();
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  cutLinks(): string[] {
    return [...this.cut].sort();
  }

  /**
   * Decide the fate of one message sent at `nowMs`. A cut link loses it at send time; the simulator
   * also checks the link again at delivery, so a partition that starts while a message is in flight
   * loses it too.
   */
  send(message: Message, nowMs: number): { outcome: SendOutcome; deliveries: Delivery[] } {
    if (this.isCut(message.from, message.to)) return { outcome: 'cut', deliveries: [] };
    if (this.rng.float() < this.cfg.dropProbability) return { outcome: 'dropped', deliveries: [] };
    const deliveries: Delivery[] = [{ atMs: nowMs + this.delayMs(), message }];
    if (this.rng.float() < this.cfg.duplicateProbability) {
      deliveries.push({ atMs: nowMs + this.delayMs(), message });
      return { outcome: 'duplicated', deliveries };
    }
    return { outcome: 'sent', deliveries };
  }

  private delayMs(): number {
    return this.cfg.delayMsMin + this.rng.int(this.cfg.delayMsMax - this.cfg.delayMsMin + 1);
  }
}
