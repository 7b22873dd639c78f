// CPU time from /proc (Linux): the one parser of a `stat` line that the benchmarks share (pnpm bench's CPU per
// operation, the put trace's CPU per put, the memory benchmark's CPU per put).
import { readFile } from 'node:fs/promises';

/** USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS_PER_SECOND = 100;

/** utime and stime of a /proc `stat` line (fields 14 and 15, after the parenthesised command name), in µs. */
export function cpuOfStat(stat: string): { readonly userUs: number; readonly sysUs: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const us = (ticks: string | undefined): number => (Number(ticks) * 1e6) / CLOCK_TICKS_PER_SECOND;
  return { userUs: us(fields[11]), sysUs: us(fields[12]) };
}

/** User + system CPU a process (or, with `task`, one of its threads) has used so far, µs; undefined where unreadable. */
export async function processCpuUs(pid: number, task?: number): Promise<number | undefined> {
  try {
    const { userUs, sysUs } = cpuOfStat(await readFile(task === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${task}/stat`, 'utf8'));
    return userUs + sysUs;
  } catch {
    return undefined;
  }
}
