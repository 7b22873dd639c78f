// What every workload needs from a store under test, so the same code measures Halyard and etcd.

export interface StoreClient {
  put(key: string, value: Uint8Array): Promise<void>;
  /** A linearizable read (Halyard: ReadIndex; etcd: the default, quorum read). */
  get(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface BenchTarget {
  readonly name: 'halyard' | 'etcd';
  /** One client object (one connection) as a service would hold it. */
  client(): Promise<StoreClient>;
  /** The pid of each running member process. */
  pids(): readonly number[];
  /** The pid of the current leader (asked of the members), undefined while there is none. */
  leaderPid(): Promise<number | undefined>;
  /** SIGKILL one member by pid and start it again from its data folder. */
  killMember(pid: number): Promise<void>;
  restartMember(pid: number): Promise<void>;
  /** Stop every member (SIGTERM) and start them all again from disk. */
  restartAll(): Promise<void>;
  /** What the members said about their last start (how long loading and opening took), where they say it. */
  startupNotes?(): readonly string[];
  stop(): Promise<void>;
}

/** Resident set size of a process in bytes, from /proc (Linux only; 0 where unreadable). */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = status.match(/^VmRSS:\s+(\d+) kB/m);
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/** Poll `probe` until it returns a value, or throw after `deadlineMs`. */
export async function until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>, intervalMs = 50): Promise<T> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (performance.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
