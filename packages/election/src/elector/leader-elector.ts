// The leader elector: client-go's leaderelection algorithm (acquire loop with jitter, renew loop with a
// deadline, release on cancel, observedTime on the local monotonic clock) over any LeaseLock, plus a
// fencing token per acquisition, a leading signal that aborts at the renew deadline and re-campaigning.
// The rules each live in one place: timing in LeadingTerm, what we saw and when in Observation, option
// checks in options.ts; this file is the control flow between them.
import { sleep } from '../clock.ts';
import { ElectionError, errorMessage, isElectionError } from '../errors.ts';
import type { LockWriteResult, ObservedLease } from '../lock.ts';
import { formatMicroTime } from '../micro-time.ts';
import type { LeaseRecord } from '../record.ts';
import { observeLeader, type LeaderChange } from '../observe.ts';
import { callSignal } from './call-signal.ts';
import { LeadingTerm, type TermEnd } from './leading-term.ts';
import { Observation } from './observation.ts';
import { electorConfig, jitteredMs, type ElectorConfig, type LeaderElectorOptions } from './options.ts';

/** Attempts at releasing on cancel before giving up (the lease then lapses after leaseDuration). */
export const RELEASE_ATTEMPTS_MAX = 5;

/** The result of `check()`: for a health endpoint (client-go's HealthzAdaptor). */
export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

type RenewOutcome = 'renewed' | 'failed' | 'lost';
type TermOutcome = 'cancelled' | 'lost' | 'deadline';

const NEVER = new AbortController().signal;

export class LeaderElector {
  private readonly config: ElectorConfig;
  private readonly seen = new Observation();
  private term: LeadingTerm | undefined;
  /**
   * The record as our own last successful write of the current term left it. Renewals are conditioned on
   * its version — never on a version we only heard of, which could be someone else's takeover that a
   * renewal would then silently overwrite.
   */
  private written: ObservedLease | undefined;
  private running = false;
  /** Candidates sleeping between acquire attempts, woken early when the lock reports a release. */
  private readonly sleepers = new Set<() => void>();

  /** Validates the options (ElectionError('InvalidConfig')); nothing runs until run(). */
  constructor(options: LeaderElectorOptions) {
    this.config = electorConfig(options);
    // As client-go's NewLeaderElector: the gauge exists (at 0) before the first term.
    this.config.metrics.leading(this.config.name, false);
  }

  get identity(): string {
    return this.config.identity;
  }

  /** The holder in the last record this instance saw; '' when none (client-go's GetLeader). */
  get leader(): string {
    return this.seen.holder;
  }

  /** True when the last record seen names this instance (client-go's IsLeader). Use the lease's signal to act. */
  isLeader(): boolean {
    return this.seen.holder === this.config.identity;
  }

  /** The current term, while this instance leads. */
  get lease(): LeadingTerm | undefined {
    return this.term;
  }

  /**
   * For a health endpoint (client-go's Check): fails when this instance believes it leads but has not seen
   * its record change — i.e. renewed — for longer than leaseDuration + `toleranceMs` (a wedged leader that
   * should have stepped down). A standby is always healthy.
   */
  check(toleranceMs = 0): CheckResult {
    if (!this.isLeader()) return { ok: true };
    const sinceMs = this.config.clock.nowMs() - (this.seen.observedAtMs ?? 0);
    if (sinceMs > this.config.leaseDurationMs + toleranceMs) {
      return { ok: false, reason: `failed election to renew leadership on lease ${this.config.name}: last renewal ${Math.round(sinceMs)} ms ago` };
    }
    return { ok: true };
  }

  /** Leader changes as the lock's change notifications report them (see observeLeader). */
  observe(signal: AbortSignal): AsyncIterable<LeaderChange> {
    return observeLeader(this.config.lock, signal);
  }

  /**
   * Campaigns until this instance leads, leads until the lease is lost or `signal` aborts, then (with
   * reCampaign) campaigns again. Resolves when `signal` aborts (after the release, with releaseOnCancel)
   * or, without reCampaign, when the first term ends. Never rejects except for AlreadyRunning.
   */
  async run(signal: AbortSignal = NEVER): Promise<void> {
    if (this.running) throw new ElectionError('AlreadyRunning', `elector ${this.config.identity} is already running`);
    this.running = true;
    const watchStop = new AbortController();
    const watching = this.followNotifications(AbortSignal.any([signal, watchStop.signal]));
    let led = false;
    try {
      for (;;) {
        const term = await this.acquire(signal);
        if (term === undefined) break;
        led = true;
        const outcome = await this.lead(term, signal);
        if (outcome === 'cancelled' || !this.config.reCampaign) break;
      }
    } finally {
      watchStop.abort();
      await watching;
      this.running = false;
      // client-go defers OnStoppedLeading in Run: it runs even when this instance never led.
      if (!led) this.callStoppedLeading();
    }
  }

  // ------------------------------------------------------------------------------------------- acquire

  private async acquire(signal: AbortSignal): Promise<LeadingTerm | undefined> {
    this.config.logger.info(`${this.config.identity}: attempting to acquire leader lease ${this.config.lock.description}`);
    for (;;) {
      if (signal.aborted) return undefined;
      const term = await this.tryAcquire(signal);
      if (term !== undefined) return term;
      // client-go's JitterUntil(…, retryPeriod, 1.2, sliding): the wait starts after the attempt ends.
      // Beyond client-go: no later than the moment the holder's lease lapses by our clock (its renewals
      // reach us through the lock's watch), so a dead leader is replaced within leaseDuration of its last
      // renewal rather than up to 2.2 retry periods after that.
      // (Lapsed already means this attempt failed for another reason: then wait the full period.)
      const jitterMs = jitteredMs(this.config.retryPeriodMs, this.config.random);
      const expiryMs = this.seen.untilExpiryMs(this.config.identity, this.config.clock.nowMs());
      const waitMs = expiryMs > 0 ? Math.min(jitterMs, expiryMs) : jitterMs;
      await sleep(this.config.clock, waitMs, signal, (wake) => {
        this.sleepers.add(wake);
        return () => this.sleepers.delete(wake);
      });
    }
  }

  /** One attempt: read the record, and take it if nobody holds it, it names us, or its lease lapsed on our clock. */
  private async tryAcquire(signal: AbortSignal): Promise<LeadingTerm | undefined> {
    const { clock, lock, identity } = this.config;
    let current: ObservedLease | undefined;
    try {
      current = await this.callLock(signal, (s) => lock.get({ signal: s }));
    } catch (e) {
      this.config.logger.warn(`${identity}: error retrieving resource lock ${lock.description}: ${errorMessage(e)}`);
      return undefined;
    }
    this.noteObserved(current);
    if (signal.aborted) return undefined;
    if (current !== undefined) {
      const holder = current.record.holderIdentity;
      // A record naming us is ours to renew (client-go's IsLeader path): a restart of this identity does
      // not wait out its own lease. It still gets a new fencing token, so the old process's writes fail.
      if (holder !== '' && holder !== identity && !this.seen.expired(clock.nowMs())) return undefined;
    }
    const record = this.acquisitionRecord(current);
    const sentAtMs = clock.nowMs();
    let write: LockWriteResult;
    try {
      write = await this.callLock(signal, (s) => (current === undefined ? lock.create(record, { signal: s }) : lock.update(record, current, 'acquire', { signal: s })));
    } catch (e) {
      // A lost race (Conflict) is the normal outcome for all candidates but one.
      if (!isElectionError(e, 'Conflict')) this.config.logger.warn(`${identity}: failed to acquire ${lock.description}: ${errorMessage(e)}`);
      return undefined;
    }
    const token = write.fencingToken;
    if (token === undefined || !Number.isSafeInteger(token) || token <= 0) {
      this.config.logger.warn(`${identity}: ${lock.description} gave no fencing token for an acquisition; not leading`);
      return undefined;
    }
    this.written = { record, version: write.version, fencingToken: token };
    this.noteObserved(this.written);
    const validUntilMs = sentAtMs + this.config.renewDeadlineMs;
    if (clock.nowMs() >= validUntilMs) {
      // The answer came after the deadline its own send time sets (a stall, a slow store): no term starts.
      // The record names us, so the next attempt takes it again, with a new token.
      this.config.logger.warn(`${identity}: acquired ${lock.description} too late to lead (after the renew deadline)`);
      return undefined;
    }
    // Even if run() was cancelled meanwhile, we now hold the record: the term starts and lead() ends it
    // at once (releasing it with releaseOnCancel) rather than leaving a lease that nobody renews.
    return new LeadingTerm(identity, token, validUntilMs, clock, (why) => this.onTermEnd(why));
  }

  private acquisitionRecord(current: ObservedLease | undefined): LeaseRecord {
    const now = formatMicroTime(this.config.clock.wallTimeMicros());
    const prev = current?.record;
    const ours = prev !== undefined && prev.holderIdentity === this.config.identity;
    return {
      holderIdentity: this.config.identity,
      leaseDurationSeconds: this.config.leaseDurationMs / 1000,
      // client-go keeps acquireTime and leaseTransitions when the record already names us.
      acquireTime: ours && prev.acquireTime !== undefined ? prev.acquireTime : now,
      renewTime: now,
      leaseTransitions: prev === undefined ? 0 : ours ? prev.leaseTransitions : prev.leaseTransitions + 1,
    };
  }

  // ---------------------------------------------------------------------------------------------- lead

  private async lead(term: LeadingTerm, runSignal: AbortSignal): Promise<TermOutcome> {
    const { config } = this;
    this.term = term;
    config.metrics.leading(config.name, true);
    config.logger.info(`${config.identity}: successfully acquired lease ${config.lock.description} (fencing token ${term.fencingToken})`);
    const work = this.startWork(term);
    const outcome = await this.renewLoop(term, runSignal);
    term.end(outcome === 'cancelled' ? 'run cancelled' : outcome === 'lost' ? 'lease lost to another holder' : 'renew deadline passed');
    this.term = undefined;
    this.written = undefined;
    config.metrics.leading(config.name, false);
    this.callStoppedLeading();
    if (outcome === 'cancelled' && config.releaseOnCancel) {
      // Only once the leader's work has stopped: releasing earlier would let the next leader start while
      // this one still acts (client-go leaves this to the caller; we wait for the returned promise).
      await work;
      await this.release();
    }
    return outcome;
  }

  /** Runs onStartedLeading; the promise settles when the work does, and never rejects. */
  private startWork(term: LeadingTerm): Promise<void> {
    return Promise.resolve()
      .then(() => this.config.callbacks.onStartedLeading(term.signal, term))
      .then(
        () => {},
        (e: unknown) => this.config.logger.warn(`${this.config.identity}: onStartedLeading failed: ${errorMessage(e)}`),
      );
  }

  private async renewLoop(term: LeadingTerm, runSignal: AbortSignal): Promise<TermOutcome> {
    const either = AbortSignal.any([runSignal, term.signal]);
    for (;;) {
      await sleep(this.config.clock, this.config.retryPeriodMs, either);
      if (runSignal.aborted) return 'cancelled';
      if (!term.holds()) return 'deadline';
      const renewed = await this.tryRenew(term, either);
      if (runSignal.aborted) return 'cancelled';
      // Checked on the clock, not only by the timer: after a stall the renew answer may run first.
      if (!term.holds()) return 'deadline';
      if (renewed === 'lost') return 'lost';
    }
  }

  /**
   * One renewal: write our record conditioned on the version we last saw (client-go's fast path); on a
   * conflict, read it (the slow path): someone else's holder or fencing token means we lost it; our own
   * (an earlier renewal applied though its answer was lost) means write again on the new version.
   */
  private async tryRenew(term: LeadingTerm, signal: AbortSignal): Promise<RenewOutcome> {
    const { clock, lock, identity, metrics, name } = this.config;
    const startedMs = clock.nowMs();
    let outcome: RenewOutcome = 'failed';
    try {
      let previous = this.written;
      for (let attempt = 0; attempt < 2 && previous !== undefined; attempt++) {
        const record: LeaseRecord = { ...previous.record, holderIdentity: identity, leaseDurationSeconds: this.config.leaseDurationMs / 1000, renewTime: formatMicroTime(clock.wallTimeMicros()) };
        const sentAtMs = clock.nowMs();
        try {
          const from = previous;
          const write = await this.callLock(signal, (s) => lock.update(record, from, 'renew', { signal: s }));
          // Every continuation checks the clock first: after a stall this may run past the deadline.
          if (!term.holds()) return outcome;
          if (write.fencingToken !== undefined && write.fencingToken !== term.fencingToken) return (outcome = 'lost');
          this.written = { record, version: write.version, fencingToken: term.fencingToken };
          this.noteObserved(this.written);
          term.extend(sentAtMs + this.config.renewDeadlineMs);
          return (outcome = 'renewed');
        } catch (e) {
          if (!term.holds()) return outcome;
          if (!isElectionError(e, 'Conflict') && !isElectionError(e, 'NotFound')) throw e;
        }
        const current = await this.callLock(signal, (s) => lock.get({ signal: s }));
        if (!term.holds()) return outcome;
        this.noteObserved(current);
        if (current === undefined || current.record.holderIdentity !== identity) return (outcome = 'lost');
        if (current.fencingToken !== undefined && current.fencingToken !== term.fencingToken) return (outcome = 'lost');
        previous = current;
      }
      return outcome;
    } catch (e) {
      if (term.holds() && !signal.aborted) this.config.logger.warn(`${identity}: failed to renew lease ${lock.description}: ${errorMessage(e)}`);
      return outcome;
    } finally {
      metrics.renewed(name, (clock.nowMs() - startedMs) / 1000, outcome === 'renewed' ? 'success' : 'failure');
    }
  }

  /**
   * client-go's release: an empty holder with leaseDurationSeconds 1, so candidates take over at once.
   * Conditioned on the version we last saw; on a conflict, read again and retry while the record still
   * names us. Bounded: after RELEASE_ATTEMPTS_MAX the lease simply lapses.
   */
  private async release(): Promise<void> {
    const { clock, lock, identity } = this.config;
    for (let attempt = 0; attempt < RELEASE_ATTEMPTS_MAX; attempt++) {
      const current = this.seen.lease;
      if (current === undefined || current.record.holderIdentity !== identity) return;
      const now = formatMicroTime(clock.wallTimeMicros());
      const record: LeaseRecord = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: current.record.leaseTransitions };
      try {
        const write = await this.callLock(NEVER, (s) => lock.update(record, current, 'release', { signal: s }));
        this.noteObserved({ record, version: write.version });
        this.config.logger.info(`${identity}: released lease ${lock.description}`);
        return;
      } catch (e) {
        this.config.logger.warn(`${identity}: failed to release lock ${lock.description}: ${errorMessage(e)}`);
        try {
          this.noteObserved(await this.callLock(NEVER, (s) => lock.get({ signal: s })));
        } catch {
          await sleep(clock, this.config.retryPeriodMs);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------- plumbing

  /** A lock call bounded by renewDeadline on our clock (a hung call must not outlive a term). */
  private async callLock<T>(signal: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const cs = callSignal(this.config.clock, [signal], this.config.renewDeadlineMs);
    try {
      return await call(cs.signal);
    } finally {
      cs.done();
    }
  }

  /** Records what we saw and announces a new holder (client-go's setObservedRecord + maybeReportTransition). */
  private noteObserved(lease: ObservedLease | undefined): void {
    const before = this.seen.holder;
    this.seen.note(lease, this.config.clock.nowMs());
    if (this.seen.holder !== before && this.seen.holder !== '') this.config.metrics.holderChanged(this.config.name);
    const leader = this.seen.takeNewLeader();
    if (leader !== undefined) this.safely('onNewLeader', () => this.config.callbacks.onNewLeader?.(leader));
  }

  private onTermEnd(why: TermEnd): void {
    this.config.logger.info(`${this.config.identity}: stopped leading ${this.config.lock.description}: ${why}`);
  }

  private callStoppedLeading(): void {
    this.safely('onStoppedLeading', () => this.config.callbacks.onStoppedLeading());
  }

  /** A callback that throws must not break the elector's loops. */
  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.config.logger.warn(`${this.config.identity}: ${what} threw: ${errorMessage(e)}`);
    }
  }

  /**
   * Follows the lock's change notifications while run() runs: each new version is an observation (so the
   * expiry a candidate waits for starts when the holder's last renewal reached us), and a release or a
   * deletion wakes sleeping candidates at once, so a graceful handover takes well under one retry period.
   * The candidate still reads and decides by the rules above. Restarts after errors.
   */
  private async followNotifications(signal: AbortSignal): Promise<void> {
    const { lock } = this.config;
    if (lock.watch === undefined) return;
    while (!signal.aborted) {
      try {
        for await (const o of lock.watch({ signal })) {
          // Any step this process takes checks the term's clock first (a stalled process may run this first).
          this.term?.holds();
          // A notification is an observation like a read: it arrived after the version was committed.
          this.noteObserved(o);
          // A version newer than our own last write that names someone else (or another token) means the
          // lease was taken from us: step down now rather than at the next renewal.
          if (this.term !== undefined && o !== undefined && this.written !== undefined && newerVersion(o.version, this.written.version)) {
            if (o.record.holderIdentity !== this.config.identity || (o.fencingToken !== undefined && o.fencingToken !== this.term.fencingToken)) this.term.end('lease lost to another holder');
          }
          if (o === undefined || o.record.holderIdentity === '') for (const wake of [...this.sleepers]) wake();
        }
      } catch (e) {
        if (!signal.aborted) this.config.logger.warn(`${this.config.identity}: watch of ${lock.description} failed: ${errorMessage(e)}`);
      }
      await sleep(this.config.clock, this.config.retryPeriodMs, signal);
    }
  }
}

/** True when both versions are store revisions and `a` is the later one. */
function newerVersion(a: string, b: string): boolean {
  return /^\d+$/.test(a) && /^\d+$/.test(b) && Number(a) > Number(b);
}
