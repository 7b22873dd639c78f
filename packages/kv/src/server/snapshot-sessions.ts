// Snapshot downloads in progress on one member's client port: the snapshot is taken once, at the first
// request, and handed out in chunks under a token until fully read or abandoned. Bounded in count and in
// idle time, so clients that go away leave nothing behind.
import { createHash, randomBytes } from 'node:crypto';
import { KvError } from '@halyard/kv-client/protocol';

/** Bytes per answer: well under the client's response limit and a member's request limit. */
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
/** Downloads held at once (each holds a whole snapshot in memory). */
export const SNAPSHOT_SESSIONS_MAX = 2;
/** A download not continued for this long is dropped. */
export const SNAPSHOT_SESSION_IDLE_MS = 60_000;

interface Session {
  readonly bytes: Uint8Array;
  readonly sha256: string;
  lastUsedMs: number;
}

export interface SnapshotChunk {
  readonly token: string;
  readonly sizeBytes: number;
  readonly offset: number;
  readonly chunk: Uint8Array;
  readonly sha256: string;
}

export class SnapshotSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly nowMs: () => number = () => performance.now()) {}

  /**
   * The chunk at `offset` of the download `token`; without a token a new download of `take()`'s bytes.
   * InvalidRequest for an unknown (finished, expired) token or an offset past the end; Unavailable when
   * SNAPSHOT_SESSIONS_MAX downloads are already running.
   */
  chunk(token: string | undefined, offset: number, take: () => Uint8Array): SnapshotChunk {
    this.expire();
    let id = token;
    let s: Session | undefined;
    if (id === undefined) {
      if (this.sessions.size >= SNAPSHOT_SESSIONS_MAX) throw new KvError('Unavailable', `${SNAPSHOT_SESSIONS_MAX} snapshot downloads are already running on this member`);
      const bytes = take();
      id = randomBytes(16).toString('hex');
      s = { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), lastUsedMs: this.nowMs() };
      this.sessions.set(id, s);
    } else {
      s = this.sessions.get(id);
      if (s === undefined) throw new KvError('InvalidRequest', 'unknown snapshot token (finished, expired, or taken on another member)');
    }
    if (offset > s.bytes.byteLength) throw new KvError('InvalidRequest', `offset ${offset} is past the end of the snapshot (${s.bytes.byteLength} bytes)`);
    s.lastUsedMs = this.nowMs();
    const chunk = s.bytes.subarray(offset, Math.min(s.bytes.byteLength, offset + SNAPSHOT_CHUNK_BYTES));
    if (offset + chunk.byteLength === s.bytes.byteLength) this.sessions.delete(id);
    return { token: id, sizeBytes: s.bytes.byteLength, offset, chunk, sha256: s.sha256 };
  }

  get size(): number {
    return this.sessions.size;
  }

  clear(): void {
    this.sessions.clear();
  }

  private expire(): void {
    const now = this.nowMs();
    for (const [id, s] of this.sessions) if (now - s.lastUsedMs > SNAPSHOT_SESSION_IDLE_MS) this.sessions.delete(id);
  }
}
