// Candidates in a SimWorld: each a process with its own clock rate running the production LeaderElector
// over the production KvLeaseLock on a SimKv, optionally with leader work that writes through fencedTxn.
// Records what happened (terms started/stopped, leaders announced, work writes applied or refused) for
// the scenario and property tests to check.
import { LeaderElector } from '../elector/leader-elector.ts';
import type { LeadingLease } from '../elector/leading-term.ts';
import { sleep } from '../clock.ts';
import { isElectionError } from '../errors.ts';
import { KvLeaseLock } from '../kv/kv-lease-lock.ts';
import { bytesToString, op } from '../kv/kv-client.ts';
import { SeededRng } from '@halyard/kv/util';
import { SimProcess, SimWorld } from './sim-world.ts';
import { SimStore, type SimKv } from './sim-kv.ts';

export const WORK_KEY = 'work/last';

export interface SimElectionOptions {
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly releaseOnCancel?: boolean;
  readonly reCampaign?: boolean;
  /** Leaders write WORK_KEY through fencedTxn every this many ms of their clock; 0 = no work. */
  readonly workPeriodMs?: number;
  /** Send work writes without the fence (to show what fencing prevents). */
  readonly unfencedWork?: boolean;
  /** Work that runs instead of the WORK_KEY writer (a scenario test's own). */
  readonly onStartedLeading?: (signal: AbortSignal, lease: LeadingLease, candidate: Candidate) => void | Promise<void>;
  readonly random: () => number;
}

export type SimLogEntry =
  | { readonly atMs: number; readonly identity: string; readonly type: 'started'; readonly token: number }
  | { readonly atMs: number; readonly identity: string; readonly type: 'aborted'; readonly token: number }
  | { readonly atMs: number; readonly identity: string; readonly type: 'stopped' }
  | { readonly atMs: number; readonly identity: string; readonly type: 'newLeader'; readonly leader: string };

/** A work write the store applied: who sent it under which token, and when it landed. */
export interface AppliedWork {
  readonly atMs: number;
  readonly identity: string;
  readonly token: number;
  readonly revision: number;
}

export interface Candidate {
  readonly identity: string;
  /** The lease of the term in progress (or the last one), as onStartedLeading got it. */
  lease: LeadingLease | undefined;
  readonly proc: SimProcess;
  readonly elector: LeaderElector;
  readonly lock: KvLeaseLock;
  readonly kv: SimKv;
  readonly cancel: AbortController;
  /** Settles when run() returns. */
  readonly done: Promise<void>;
  /** The signal of the term in progress, if any. */
  leading: { readonly signal: AbortSignal; readonly token: number } | undefined;
}

export class SimElection {
  readonly log: SimLogEntry[] = [];
  readonly applied: AppliedWork[] = [];
  /** Work writes the fence refused (ElectionError 'Deposed' came back). */
  refusedWrites = 0;
  private readonly candidates = new Map<string, Candidate>();
  private processSeq = 0;

  constructor(
    readonly world: SimWorld,
    readonly store: SimStore,
    readonly options: SimElectionOptions,
    readonly electionName = 'sim',
  ) {
    store.mvcc.subscribe((applied) => {
      for (const e of applied.events) {
        if (e.type !== 'put' || bytesToString(e.kv.key) !== WORK_KEY) continue;
        const [identity, token] = bytesToString(e.kv.value).split(' ');
        this.applied.push({ atMs: world.nowMs, identity: identity ?? '', token: Number(token), revision: applied.revision });
      }
    });
  }

  get all(): readonly Candidate[] {
    return [...this.candidates.values()];
  }

  candidate(identity: string): Candidate {
    const c = this.candidates.get(identity);
    if (c === undefined) throw new Error(`no candidate ${identity}`);
    return c;
  }

  /** Starts (or, after a crash, restarts) `identity` as a new process with clock `rate`. */
  start(identity: string, rate = 1): Candidate {
    const proc = new SimProcess(this.world, `${identity}#${this.processSeq++}`, rate, this.options.random() * 1e6);
    const kv = this.store.kvFor(proc);
    const lock = new KvLeaseLock({ kv, name: this.electionName });
    const cancel = new AbortController();
    const o = this.options;
    const c: Candidate = {
      identity,
      proc,
      lock,
      kv,
      cancel,
      leading: undefined,
      lease: undefined,
      done: Promise.resolve(),
      elector: new LeaderElector({
        lock,
        identity,
        clock: proc,
        random: o.random,
        ...(o.leaseDurationMs !== undefined ? { leaseDurationMs: o.leaseDurationMs } : {}),
        ...(o.renewDeadlineMs !== undefined ? { renewDeadlineMs: o.renewDeadlineMs } : {}),
        ...(o.retryPeriodMs !== undefined ? { retryPeriodMs: o.retryPeriodMs } : {}),
        releaseOnCancel: o.releaseOnCancel ?? false,
        reCampaign: o.reCampaign ?? true,
        callbacks: {
          onStartedLeading: (signal, lease) => {
            c.leading = { signal, token: lease.fencingToken };
            c.lease = lease;
            this.log.push({ atMs: this.world.nowMs, identity, type: 'started', token: lease.fencingToken });
            signal.addEventListener('abort', () => this.log.push({ atMs: this.world.nowMs, identity, type: 'aborted', token: lease.fencingToken }), { once: true });
            if (o.onStartedLeading !== undefined) return o.onStartedLeading(signal, lease, c);
            return (o.workPeriodMs ?? 0) > 0 ? this.work(c, signal, lease) : undefined;
          },
          onStoppedLeading: () => {
            c.leading = undefined;
            this.log.push({ atMs: this.world.nowMs, identity, type: 'stopped' });
          },
          onNewLeader: (leader) => this.log.push({ atMs: this.world.nowMs, identity, type: 'newLeader', leader }),
        },
      }),
    };
    // run() starts in the process's context, like everything else it does.
    let resolveDone: () => void = () => {};
    (c as { done: Promise<void> }).done = new Promise<void>((r) => (resolveDone = r));
    proc.deliverAt(this.world.nowMs, () => void c.elector.run(cancel.signal).finally(resolveDone));
    this.candidates.set(identity, c);
    return c;
  }

  crash(identity: string): void {
    const c = this.candidate(identity);
    c.proc.crash();
    c.leading = undefined;
  }

  /** Candidates that can act right now (live process) and whose leading signal has not aborted. */
  liveLeaders(): Candidate[] {
    return this.all.filter((c) => c.proc.live && c.leading !== undefined && !c.leading.signal.aborted);
  }

  startedTerms(): Extract<SimLogEntry, { type: 'started' }>[] {
    return this.log.filter((e): e is Extract<SimLogEntry, { type: 'started' }> => e.type === 'started');
  }

  /**
   * The leader's work: write WORK_KEY = "identity token" through the fence, again and again. Like any
   * leader should, it asks `lease.holds()` before each write and after each await.
   */
  private async work(c: Candidate, signal: AbortSignal, lease: LeadingLease): Promise<void> {
    const period = this.options.workPeriodMs ?? 0;
    const value = `${c.identity} ${lease.fencingToken}`;
    while (lease.holds()) {
      try {
        if (this.options.unfencedWork === true) await c.kv.txn({ success: [op.put(WORK_KEY, value)] }, { signal });
        else await c.lock.fencedTxn(lease, { success: [op.put(WORK_KEY, value)] }, { signal });
      } catch (e) {
        if (isElectionError(e, 'Deposed')) this.refusedWrites++;
      }
      if (!lease.holds()) break;
      await sleep(c.proc, period, signal);
    }
  }
}

export interface SimSetup {
  readonly world: SimWorld;
  readonly store: SimStore;
  readonly sim: SimElection;
  /** A process outside the election (an operator, an observer) with its own view of the lock. */
  readonly tool: SimProcess;
  readonly toolLock: KvLeaseLock;
  readonly toolKv: SimKv;
}

/**
 * A world with an instant, lossless network (every message arrives at the moment it is sent, after what
 * is already due then), for scenario tests whose timings are exact.
 */
export function simSetup(options: Partial<SimElectionOptions> = {}, seed = 1): SimSetup {
  const rng = new SeededRng(seed);
  const random = (): number => rng.float();
  const world = new SimWorld();
  const store = new SimStore(world, { random, delayMsMax: 0, longDelayProbability: 0, longDelayMsMax: 0, lossProbability: 0 });
  const sim = new SimElection(world, store, { random, ...options });
  const tool = new SimProcess(world, 'tool', 1);
  const toolKv = store.kvFor(tool);
  return { world, store, sim, tool, toolKv, toolLock: new KvLeaseLock({ kv: toolKv, name: sim.electionName }) };
}
