// Process helpers shared by the real-process tests: the one place they ask whether a pid still runs.

/** Whether a process with this pid exists (signal 0 checks without signalling). Only for pids a test started. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
