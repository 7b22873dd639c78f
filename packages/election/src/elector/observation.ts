// What this candidate has seen of the record, and WHEN it saw it change on its own monotonic clock
// (client-go's observedRecord/observedTime). Takeover is allowed only once the holder's
// leaseDurationSeconds have passed since that moment: the record's own timestamps come from another
// machine's wall clock and are never compared with ours.
//
// "Saw it" means the response carrying a new version arrived, never when the request was sent: the
// version was committed no later than its read returned, so a later moment can only make us wait longer.
import type { ObservedLease } from '../lock.ts';

export class Observation {
  private current: ObservedLease | undefined;
  private changedAtMs: number | undefined;
  /** The last holder announced through onNewLeader (client-go's reportedLeader). */
  private reported = '';

  /** The latest record seen (undefined: none seen yet, or the record does not exist). */
  get lease(): ObservedLease | undefined {
    return this.current;
  }

  /** The holder in the latest record seen; '' for none. */
  get holder(): string {
    return this.current?.record.holderIdentity ?? '';
  }

  /** Local time at which the latest record was first seen; undefined before anything was seen. */
  get observedAtMs(): number | undefined {
    return this.changedAtMs;
  }

  /**
   * Notes a record read or written at local time `nowMs` (undefined = the record does not exist). The
   * observed time moves only when the version differs from the one seen last.
   */
  note(lease: ObservedLease | undefined, nowMs: number): void {
    if (this.changedAtMs !== undefined && lease?.version === this.current?.version) return;
    this.current = lease;
    this.changedAtMs = nowMs;
  }

  /**
   * Notes a version from the lock's change notifications, unless it is older than what a read or our own
   * write already showed (a watch may lag behind them). Versions that are store revisions (both locks')
   * compare as numbers; others only by equality.
   */
  noteNotification(lease: ObservedLease | undefined, nowMs: number): void {
    const have = this.current?.version;
    const got = lease?.version;
    if (have !== undefined && got !== undefined && /^\d+$/.test(have) && /^\d+$/.test(got) && Number(got) < Number(have)) return;
    this.note(lease, nowMs);
  }

  /**
   * Milliseconds until someone else's lease lapses by our clock (0 if it has); Infinity when nobody else
   * holds it (there is nothing to wait for: the next attempt may take it).
   */
  untilExpiryMs(identity: string, nowMs: number): number {
    const holder = this.holder;
    if (holder === '' || holder === identity || this.current === undefined || this.changedAtMs === undefined) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.changedAtMs + this.current.record.leaseDurationSeconds * 1000 - nowMs);
  }

  /**
   * True when the current holder's lease has lapsed by our clock: nobody holds it, or
   * observedAt + leaseDurationSeconds ≤ now (client-go's !isLeaseValid).
   */
  expired(nowMs: number): boolean {
    if (this.current === undefined || this.current.record.holderIdentity === '' || this.changedAtMs === undefined) return true;
    return this.changedAtMs + this.current.record.leaseDurationSeconds * 1000 <= nowMs;
  }

  /**
   * The holder to announce, if it changed since the last announcement (client-go's maybeReportTransition);
   * an empty holder is not announced, and marks nothing, so A → none → A announces A once.
   */
  takeNewLeader(): string | undefined {
    const holder = this.holder;
    if (holder === '' || holder === this.reported) return undefined;
    this.reported = holder;
    return holder;
  }
}
