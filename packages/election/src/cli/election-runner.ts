// What `halyard elect` and `halyard lock` do once their flags are parsed: run an elector, print one line
// per event, run CMD while leading (or while holding the lock), stop it — SIGTERM, then SIGKILL after the
// grace period — when leadership is lost, and release the lease on Ctrl-C or when CMD exits by itself,
// only after CMD is gone.
import { LeaderElector } from '../elector/leader-elector.ts';
import { observeLeader } from '../observe.ts';
import { EXIT_ERROR, EXIT_OK, type ElectionCliIo } from './cli-io.ts';
import type { ElectionFlags, OpenedLock } from './election-flags.ts';
import { SupervisedChild } from './supervised-child.ts';

export interface ElectionRun {
  readonly mode: 'elect' | 'lock';
  readonly name: string;
  readonly flags: ElectionFlags;
  readonly opened: OpenedLock;
  /** CMD ARGS…; empty = hold leadership (or the lock) until interrupted. */
  readonly command: readonly string[];
  readonly io: ElectionCliIo;
  /** Ctrl-C. */
  readonly interrupted: AbortSignal;
}

/** Runs until interrupted, until CMD exits by itself, or (lock) until the lock is lost. Returns the exit code. */
export async function runElection(r: ElectionRun): Promise<number> {
  const { mode, name, flags, io, command } = r;
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort();
  r.interrupted.addEventListener('abort', onInterrupt, { once: true });
  if (r.interrupted.aborted) stop.abort();
  let exitCode = EXIT_OK;
  let leading = false;
  try {
    const elector = new LeaderElector({
      lock: r.opened.lock,
      identity: flags.identity,
      name,
      leaseDurationMs: flags.leaseDurationMs,
      renewDeadlineMs: flags.renewDeadlineMs,
      retryPeriodMs: flags.retryPeriodMs,
      releaseOnCancel: true,
      // `elect` stands by again after losing (etcdctl elect campaigns until interrupted); a lock is one-shot.
      reCampaign: mode === 'elect',
      logger: { info: () => {}, warn: (m) => io.stderr(`${m}\n`) },
      callbacks: {
        onNewLeader: (id) => {
          if (mode === 'elect') io.line(`new leader: ${id}`);
        },
        onStartedLeading: async (signal, lease) => {
          leading = true;
          io.line(mode === 'elect' ? `leading ${name} as ${flags.identity} token ${lease.fencingToken}` : `locked ${name} as ${flags.identity} token ${lease.fencingToken}`);
          const ended = new Promise<void>((resolve) => {
            if (signal.aborted) resolve();
            else signal.addEventListener('abort', () => resolve(), { once: true });
          });
          if (command.length === 0) return ended;
          const env = { ...process.env, ...r.opened.env, HALYARD_ELECTION: name, HALYARD_IDENTITY: flags.identity, HALYARD_FENCING_TOKEN: String(lease.fencingToken) };
          const child = new SupervisedChild(command, env, io.childStdio, (m) => io.stderr(`${m}\n`));
          const first = await Promise.race([child.exited.then((code) => ({ code })), ended.then(() => undefined)]);
          if (first !== undefined) {
            // CMD finished on its own while we lead: release (after this returns) and exit with its code.
            exitCode = first.code;
            stop.abort();
            return;
          }
          await child.stop(flags.gracePeriodMs);
        },
        onStoppedLeading: () => {
          if (!leading) return;
          leading = false;
          if (mode === 'elect') io.line('stopped leading');
          else if (!stop.signal.aborted) {
            io.line('lock lost');
            exitCode = EXIT_ERROR;
          }
        },
      },
    });
    await elector.run(stop.signal);
  } finally {
    r.interrupted.removeEventListener('abort', onInterrupt);
    await r.opened.close();
  }
  return exitCode;
}

/** `halyard elect NAME --listen`: print each new leader (etcdctl elect -l), from the lock's watch. */
export async function listenForLeaders(r: Pick<ElectionRun, 'opened' | 'io' | 'interrupted'>): Promise<number> {
  try {
    for await (const change of observeLeader(r.opened.lock, r.interrupted)) {
      if (change.holderIdentity !== '') r.io.line(`new leader: ${change.holderIdentity}`);
    }
  } finally {
    await r.opened.close();
  }
  return EXIT_OK;
}
