// Knowing when the process that started us is gone. A local cluster must not outlive whoever started it:
// `kill -TERM` of the `pnpm start` / `npm exec` process signals only that process, and the shell and node
// below it — and the members below those — are re-parented and keep running. So the cluster process
// watches every ancestor between itself and its session leader (the terminal's shell, or whatever ran
// `setsid`): when one of them exits, the cluster stops. The session leader itself is not watched, so a
// cluster started in the background (`nohup`, `&`, `setsid`) keeps running when its shell goes, as any
// daemon would; the terminal closing sends SIGHUP, which the cluster treats like SIGTERM.
//
// Linux reads the ancestry from /proc; elsewhere only the direct parent is watched (re-parenting).
import { readFileSync } from 'node:fs';

/** How often the ancestors are looked at. */
export const LIFELINE_INTERVAL_MS = 500;

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly session: number;
  /** Start time in clock ticks since boot: tells a pid reused by another process apart. */
  readonly startTime: string;
}

/** /proc/<pid>/stat, or undefined when the process is gone (or there is no /proc). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp session … starttime …"; comm may hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  const session = Number(fields[3]);
  const startTime = fields[19];
  if (!Number.isSafeInteger(ppid) || !Number.isSafeInteger(session) || startTime === undefined) return undefined;
  return { pid, ppid, session, startTime };
}

/** The processes between this one and its session leader (both excluded), nearest first. */
export function ancestorsBelowSessionLeader(self = process.pid): ProcStat[] {
  const chain: ProcStat[] = [];
  let stat = readProcStat(self);
  // Bounded: a process tree deeper than this is not one we were started in.
  for (let depth = 0; stat !== undefined && depth < 64; depth++) {
    const parent = stat.ppid > 1 ? readProcStat(stat.ppid) : undefined;
    if (parent === undefined || parent.pid === parent.session) break;
    chain.push(parent);
    stat = parent;
  }
  return chain;
}

/**
 * Calls `onGone` once, with a reason, when an ancestor below the session leader exits (or, without
 * /proc, when this process is re-parented). Returns a function that stops watching.
 */
export function watchLifeline(onGone: (reason: string) => void, intervalMs = LIFELINE_INTERVAL_MS): () => void {
  const hasProc = readProcStat(process.pid) !== undefined;
  const watched = hasProc ? ancestorsBelowSessionLeader() : [];
  const parent = process.ppid;
  const timer = setInterval(() => {
    const gone = hasProc ? watched.find((a) => readProcStat(a.pid)?.startTime !== a.startTime) : process.ppid !== parent ? { pid: parent } : undefined;
    if (gone === undefined) return;
    clearInterval(timer);
    onGone(`process ${gone.pid}, which started this one, exited`);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
