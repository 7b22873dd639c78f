// When a state machine on disk commits what it applied (member.ts's commitStateMachine): at most
// STATE_MACHINE_COMMIT_DELAY_MS after an advance that left something uncommitted, and only at a moment
// when no Ready is in flight. One LevelDB batch then covers the Readies of those milliseconds rather than
// one batch per Ready. Under many writes in flight a member hands out a Ready for nearly every commit
// index the leader announces, each applying an entry or two; a batch per Ready cost one hand-off to
// LevelDB's thread pool and back per write, on a machine where those hand-offs cost more CPU than the
// write itself (docs/performance.md, "CPU per operation"). Nothing waits for this commit: reads are served
// from memory, it is not fsync'd anyway, and what a crash loses of it is replayed from the Raft log (which
// keeps every entry after the last fsync'd commit).
//
// Why only with no Ready in flight: a Ready's committed entries are applied while its own write is in
// flight, so between its hand-out and its advance the state machine may hold entries that are not yet in
// this member's durable log. A consistent index past the log's end on disk would make a member that crashed
// then refuse to start (bootMember). At an advance nothing is in flight; a commit that comes due while a
// Ready is in flight therefore waits for that Ready's advance.
import type { Cancel, MemberClock } from './seams.ts';

/** How long applied entries may wait in memory for their (unsynced) state machine commit. */
export const STATE_MACHINE_COMMIT_DELAY_MS = 10;

export interface CommitScheduleDeps {
  readonly clock: Pick<MemberClock, 'after'>;
  /** Whether a Ready is handed out and not yet advanced (its write or its apply still in flight). */
  readonly readyInFlight: () => boolean;
  /** Whether the state machine holds anything applied and not yet committed. */
  readonly uncommitted: () => boolean;
  /** Commit everything applied so far (called only with no Ready in flight). */
  readonly commit: () => void;
}

export class CommitSchedule {
  private cancelTimer: Cancel | undefined;
  /** The delay passed while a Ready was in flight: commit at the next advance. */
  private due = false;
  private stopped = false;

  constructor(private readonly d: CommitScheduleDeps) {}

  /** A Ready was advanced (nothing is in flight now): commit if one is due, else schedule one. */
  advanced(): void {
    if (this.stopped) return;
    if (this.due) {
      this.committed();
      this.d.commit();
      return;
    }
    if (this.cancelTimer !== undefined || !this.d.uncommitted()) return;
    this.cancelTimer = this.d.clock.after(STATE_MACHINE_COMMIT_DELAY_MS, () => {
      this.cancelTimer = undefined;
      if (this.stopped) return;
      if (this.d.readyInFlight()) {
        this.due = true;
        return;
      }
      this.due = false;
      this.d.commit();
    });
  }

  /** The member committed by itself (a snapshot, a stream's view): nothing is scheduled or due any more. */
  committed(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.due = false;
  }

  /** The member stops: no commit from here on (what was applied since the last one is replayed at restart). */
  stop(): void {
    this.committed();
    this.stopped = true;
  }
}
