// The member's ONE Ready loop: persist / send / apply / advance, as the Ready contract in raft/types.ts
// states it, including its one exception. The same loop runs in the server (over LevelDB and ws) and in
// the simulator (over its simulated disk and network): only the seams differ (seams.ts).
//
// The core's Ready/advance bookkeeping (what was handed out, what advance() makes stable) lives in the
// core; this file is the caller's side of the contract, apart from the member's application logic:
//   1. take a Ready;
//   2. send a leader's appends and heartbeats at once — a leader may write to its disk in parallel with
//      replicating (thesis §10.2.1; etcd's raft doc), because an append only carries entries of a term
//      already on its disk and commit counts the leader's own copy only once it is durable;
//   3. apply the committed entries while this Ready's own entries are being written: they are durable on
//      a quorum already (as etcd's apply runs beside its WAL write) — unless the Ready carries a snapshot,
//      which is installed, and the entries after it applied, only once it is on disk. An apply may complete
//      later (a large batch, a slow or disk-backed state machine: `applyCommitted`'s completion); ticks and
//      messages keep being stepped meanwhile, as etcd's server applies in its own goroutine while raft runs;
//   4. write snapshot, entries and hard state in one durable write (one fsync: group commit), then put
//      them into the log the core reads (MemoryStorage). A write that etcd's MustSync lets go unsynced
//      (only the commit index moved) promises nothing to anyone, so the loop issues it and goes on at
//      once instead of holding the next Ready behind it; the store still lands writes in call order;
//   5. send everything else (votes, acknowledgements: each promises durability);
//   6. advance() once the write is durable AND the apply complete — the core's applied index, which its
//      configuration (votes, commit) and its refusal to campaign over unapplied configuration changes
//      follow, never runs ahead of the state machine; then the next Ready. One Ready in flight at a time:
//      ticks, messages and proposals that arrive meanwhile are stepped into the core and wait for the next.

import type { RaftNode } from '../raft/node.ts';
import type { MemoryStorage } from '../raft/storage.ts';
import type { Entry, HardState, Message, ReadState, Ready, Snapshot, SoftState } from '../raft/types.ts';
import { mustSync } from '../storage/disk-storage.ts';
import type { Completion, DurableWrite, LogStore, MemberClock } from './seams.ts';
import type { WriteTrace } from './write-trace.ts';

/** The state machine side of the loop (hashicorp's FSM plus the member's bookkeeping around it). */
export interface ReadyApplier {
  /**
   * Committed entries, in log order, never applied before. `done` once the state machine holds them (at
   * once, or later: the loop advances the core only then), or with the error that makes the member stop.
   */
  applyCommitted(entries: readonly Entry[], done: Completion): void;
  /** Replace the state machine with a snapshot from the leader (already durable). */
  installSnapshot(snapshot: Snapshot): void;
  /** Role or leader changed. */
  softState(state: SoftState): void;
  /** ReadIndex answers: each read may be served once the applied index reaches its index. */
  readStates(states: readonly ReadState[]): void;
  /** advance() ran: the applied index may have moved (waiters, snapshots of the state machine). */
  advanced(): void;
  /** How long the last durable write took (a metric). */
  persisted(durationMs: number): void;
}

export interface ReadyLoopDeps {
  readonly node: RaftNode;
  /** The log the core reads; it receives each write once it is durable. */
  readonly memory: MemoryStorage;
  readonly store: LogStore;
  readonly send: (messages: readonly Message[]) => void;
  readonly applier: ReadyApplier;
  readonly clock: MemberClock;
  /** A failed write or a broken invariant: the member must stop, not go on as if its state were durable. */
  readonly fatal: (e: unknown) => void;
  /** Per-stage timestamps of entries (write-trace.ts); production only, and only when asked for. */
  readonly trace?: WriteTrace;
}

/** Messages a leader may send before its own write is durable (the exception of the Ready contract). */
function sendsEarly(m: Message): boolean {
  return m.type === 'append' || m.type === 'heartbeat';
}

/** The Ready handed out and not yet advanced: its write and its apply may each still be in flight. */
interface InFlight {
  readonly rd: Ready;
  persisting: boolean;
  applying: boolean;
  /** The error a synchronous apply completed with. */
  applyError?: unknown;
}

export class ReadyLoop {
  private readonly d: ReadyLoopDeps;
  private inFlight: InFlight | undefined;
  private stopped = false;
  private running = false;
  /** The Ready whose entries are being handed to the applier right now (a synchronous completion). */
  private handingOut: InFlight | undefined;
  private readonly idleWaiters: (() => void)[] = [];
  /** The hard state of the last write issued (what MustSync compares a new one with). */
  private issuedHardState: HardState;

  constructor(deps: ReadyLoopDeps) {
    this.d = deps;
    this.issuedHardState = deps.memory.initialState().hardState;
  }

  /** Whether a durable write is in flight (inputs now wait for the next Ready). */
  get persisting(): boolean {
    return this.inFlight?.persisting === true;
  }

  /** Whether an apply of committed entries is in flight (the core's applied index waits for it). */
  get applying(): boolean {
    return this.inFlight?.applying === true;
  }

  /**
   * Hand out Readies until the core has none or a write is in flight. Call after every input (tick,
   * message, proposal, read); cheap when there is nothing to do. Never re-entered: an input that arrives
   * from inside the loop (a callback of the applier) is picked up by the loop's own next turn.
   */
  pump(): void {
    if (this.running || this.inFlight !== undefined || this.stopped) return;
    this.running = true;
    try {
      while (!this.stopped && this.inFlight === undefined && this.d.node.hasReady()) this.handOut(this.d.node.ready());
    } catch (e) {
      this.stopped = true;
      this.d.fatal(e);
    } finally {
      this.running = false;
    }
    if (this.inFlight === undefined) this.notifyIdle();
  }

  /** No more Readies; a write in flight still completes (or never does, if the process dies). */
  stop(): void {
    this.stopped = true;
  }

  /** Runs `fn` once no write or apply is in flight. */
  whenIdle(fn: () => void): void {
    if (this.inFlight === undefined) fn();
    else this.idleWaiters.push(fn);
  }

  private handOut(rd: Ready): void {
    const f: InFlight = { rd, persisting: true, applying: false };
    this.inFlight = f;
    const early = rd.messages.filter(sendsEarly);
    if (early.length > 0) this.d.send(early);
    if (rd.snapshot === undefined) this.applyReady(f);
    const write: DurableWrite = {
      ...(rd.hardState !== undefined ? { hardState: rd.hardState } : {}),
      entries: rd.entries,
      ...(rd.snapshot !== undefined ? { snapshot: rd.snapshot } : {}),
    };
    if (write.hardState === undefined && write.entries.length === 0 && write.snapshot === undefined) {
      f.persisting = false;
      this.afterPersist(f);
      this.advanceIfDone(f);
      return;
    }
    const sync = mustSync(this.issuedHardState, write);
    if (write.hardState !== undefined) this.issuedHardState = write.hardState;
    if (!sync) {
      this.d.store.saveReady(write, (err) => {
        if (err !== undefined) this.fail(err);
      });
      f.persisting = false;
      this.afterPersist(f);
      this.advanceIfDone(f);
      return;
    }
    this.d.trace?.markEntries(rd.entries, 'persistStart');
    const startedMs = this.d.clock.nowMs();
    this.d.store.saveReady(write, (err) => this.onDurable(f, startedMs, err));
  }

  private onDurable(f: InFlight, startedMs: number, err: unknown): void {
    if (this.inFlight !== f || !f.persisting) return;
    f.persisting = false;
    this.afterStep(f, () => {
      if (err !== undefined) throw err;
      this.d.trace?.markEntries(f.rd.entries, 'persistEnd');
      this.d.applier.persisted(this.d.clock.nowMs() - startedMs);
      this.afterPersist(f);
    });
  }

  private onApplied(f: InFlight, err: unknown): void {
    if (this.inFlight !== f || !f.applying) return;
    f.applying = false;
    // Completed inside applyCommitted (a synchronous state machine): applyReady goes on from there.
    if (this.handingOut === f) {
      f.applyError = err;
      return;
    }
    this.afterStep(f, () => {
      if (err !== undefined) throw err;
    });
  }

  /** After an asynchronous completion: run `step`, advance if the Ready is done, go on pumping. */
  private afterStep(f: InFlight, step: () => void): void {
    if (this.stopped) {
      if (f.persisting || f.applying) return;
      this.inFlight = undefined;
      this.notifyIdle();
      return;
    }
    try {
      step();
      this.advanceIfDone(f);
    } catch (e) {
      this.fail(e);
      return;
    }
    this.pump();
  }

  /** The member must stop: nothing more is handed out, and whoever waits for idleness is told. */
  private fail(e: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.inFlight = undefined;
    this.notifyIdle();
    this.d.fatal(e);
  }

  /** Steps 4 (into the core's log), 5 and the snapshot case of 3. */
  private afterPersist(f: InFlight): void {
    const rd = f.rd;
    const mem = this.d.memory;
    if (rd.snapshot !== undefined) mem.applySnapshot(rd.snapshot);
    mem.append(rd.entries);
    if (rd.hardState !== undefined) mem.setHardState(rd.hardState);
    const late = rd.messages.filter((m) => !sendsEarly(m));
    if (late.length > 0) this.d.send(late);
    if (rd.snapshot !== undefined) {
      this.d.applier.installSnapshot(rd.snapshot);
      this.applyReady(f);
    }
  }

  /** Step 6, once the Ready's write is durable and its apply complete. */
  private advanceIfDone(f: InFlight): void {
    if (this.inFlight !== f || f.persisting || f.applying) return;
    this.inFlight = undefined;
    this.d.node.advance();
    this.d.applier.advanced();
  }

  private applyReady(f: InFlight): void {
    const rd = f.rd;
    if (rd.committedEntries.length > 0) {
      f.applying = true;
      this.handingOut = f;
      this.d.trace?.markEntries(rd.committedEntries, 'applyStart');
      try {
        this.d.applier.applyCommitted(rd.committedEntries, (err) => {
          this.d.trace?.markEntries(rd.committedEntries, 'applied');
          this.onApplied(f, err);
        });
      } finally {
        this.handingOut = undefined;
      }
      if (f.applyError !== undefined) throw f.applyError;
    }
    if (rd.softState !== undefined) this.d.applier.softState(rd.softState);
    if (rd.readStates.length > 0) this.d.applier.readStates(rd.readStates);
  }

  private notifyIdle(): void {
    for (const fn of this.idleWaiters.splice(0)) fn();
  }
}
