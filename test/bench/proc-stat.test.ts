// The benchmarks' one parser of /proc stat lines: utime and stime are read after the command name, which may
// itself hold spaces and parentheses.
import { describe, expect, it } from 'vitest';
import { cpuOfStat, processCpuUs } from '../../packages/cli/bench/proc-stat.ts';

describe('cpuOfStat', () => {
  it('reads utime and stime (clock ticks of 10 ms) after a command name with spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime …
    const line = '4242 (node (a b) c) S 1 4242 4242 0 -1 4194560 1000 0 0 0 123 45 0 0 20 0 11 0 100 0 0';
    expect(cpuOfStat(line)).toEqual({ userUs: 1_230_000, sysUs: 450_000 });
  });

  it('gives this process some CPU time, and undefined for a process that does not exist', async () => {
    for (let i = 0, x = 0; i < 2e6; i++) x += i; // spend a little CPU
    expect(await processCpuUs(process.pid)).toBeGreaterThan(0);
    expect(await processCpuUs(2 ** 22 + 1)).toBeUndefined();
  });
});
