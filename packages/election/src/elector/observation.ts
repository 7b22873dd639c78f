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
  /** The newest numeric version seen, so that a late answer carrying an older one is not taken as news. */
  private newestRevision: number | undefined;

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
   * Notes a record read, written or heard of at local time `nowMs` (undefined = the record does not
   * exist). The observed time moves only when the version differs from the one seen last. A version older
   * than one already seen is ignored: a read that started before a notification may answer after it, and
   * going back would announce an old holder again. Versions that are store revisions (both locks') compare
   * as numbers; others only by equality.
   */
  note(lease: ObservedLease | undefined, nowMs: number): void {
    if (this.changedAtMs !== undefined && lease?.version === this.current?.version) return;
    const revision = lease !== undefined && /^\d+$/.test(lease.version) ? Number(lease.version) : undefined;
    if (revision !== undefined && this.newestRevision !== undefined && revision < this.newestRevision) return;
    if (revision !== undefined) this.newestRevision = revision;
    this.current = lease;
    this.changedAtMs = nowMs;
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
