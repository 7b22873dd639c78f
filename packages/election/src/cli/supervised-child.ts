// CMD of `halyard elect … -- CMD`: started while leading, stopped when leadership is lost — SIGTERM, then
// SIGKILL once the grace period is over (kubelet's way of ending a container). Only the process we
// started is signalled, by its pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

/** Exit code reported for a CMD that could not be started (the shell's "command not found"). */
export const EXIT_NOT_STARTED = 127;

export class SupervisedChild {
  /** Resolves with CMD's exit code (128 + signal number when killed by a signal). */
  readonly exited: Promise<number>;
  private readonly child: ChildProcess;
  private hasExited = false;

  constructor(argv: readonly string[], env: NodeJS.ProcessEnv, stdio: 'inherit' | 'ignore', onSpawnError: (message: string) => void) {
    const [file, ...args] = argv;
    if (file === undefined) throw new Error('empty command');
    this.child = spawn(file, args, { env, stdio: ['ignore', stdio, stdio] });
    this.exited = new Promise<number>((resolve) => {
      this.child.once('error', (e) => {
        this.hasExited = true;
        onSpawnError(`cannot run ${file}: ${e.message}`);
        resolve(EXIT_NOT_STARTED);
      });
      this.child.once('exit', (code, signal) => {
        this.hasExited = true;
        resolve(code ?? 128 + signalNumber(signal));
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM now, SIGKILL after `graceMs` if it is still running; resolves with its exit code. */
  async stop(graceMs: number): Promise<number> {
    if (!this.hasExited) this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!this.hasExited) this.child.kill('SIGKILL');
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 0);
}
