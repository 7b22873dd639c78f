// Preloaded (`node --import …/exit-with-parent.js`) into every Node component `halyard up` starts that has
// no --exit-with-parent flag of its own (apiservers, controllers): when the parent dies — Ctrl-C'd, killed
// with SIGKILL, crashed — the process is re-parented, and then it stops itself with SIGTERM so its own
// shutdown runs (the same rule as `halyard kv member --exit-with-parent`). Linux's PR_SET_PDEATHSIG would
// do it in the kernel, but Node does not expose prctl.
import { PARENT_PID_ENV } from './parent-pid.ts';

/** How often the parent is checked; a component outlives a dead parent by at most this long (plus its shutdown). */
export const PARENT_CHECK_INTERVAL_MS = 500;
/** A component that has not exited this long after its SIGTERM is ended outright. */
export const SHUTDOWN_GRACE_MS = 10_000;

// Set by the supervisor: the parent may die before this module has even loaded, so ppid alone could miss it.
const expected = Number(process.env[PARENT_PID_ENV]);
const parent = Number.isSafeInteger(expected) && expected > 0 ? expected : process.ppid;
const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
}, PARENT_CHECK_INTERVAL_MS);
timer.unref();
