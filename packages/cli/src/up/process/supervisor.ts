// Runs each component of the control plane as its own OS process, the way an init system would on a real
// node: output appended to one log file per component, a readiness probe after each start, kill and
// restart by pid, and a stop of everything that SIGTERMs first and SIGKILLs what is left after a grace
// period. It only ever signals the processes it started. Nothing restarts by itself: a component killed
// from the dashboard or by chaos stays down until someone restarts it, so failover can be watched.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UpError, errorMessage } from '../errors.ts';
import { PARENT_PID_ENV } from './parent-pid.ts';

export interface ProcessDefinition {
  readonly id: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** True once the process serves; polled after each start until it is or the deadline passes. */
  readonly ready?: (signal: AbortSignal) => Promise<boolean>;
}

export type ProcessState = 'stopped' | 'starting' | 'running' | 'exited';

export interface ProcessStatus {
  readonly id: string;
  readonly state: ProcessState;
  readonly pid: number | undefined;
  /** Exit code or signal of the last run, when it has ended. */
  readonly lastExit: string | undefined;
  readonly starts: number;
  readonly logFile: string;
}

export type SupervisorEvent =
  | { readonly type: 'started'; readonly id: string; readonly pid: number }
  | { readonly type: 'ready'; readonly id: string; readonly pid: number }
  | { readonly type: 'exited'; readonly id: string; readonly pid: number; readonly how: string; readonly expected: boolean };

export interface SupervisorOptions {
  readonly logDir: string;
  /** How long a start may take to pass its readiness probe. */
  readonly readyTimeoutMs?: number;
  readonly onEvent?: (e: SupervisorEvent) => void;
}

export const READY_TIMEOUT_MS_DEFAULT = 90_000;
/** Readiness probe period. */
export const READY_POLL_MS = 200;
/** A log file larger than this at a start is moved to `<id>.log.1` (one generation kept). */
export const LOG_FILE_BYTES_MAX = 64 * 1024 * 1024;
export const STOP_GRACE_MS_DEFAULT = 10_000;

interface Running {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<void>;
  /** Set before we signal it ourselves, so its exit is reported as expected. */
  expected: boolean;
  ready: boolean;
}

export class Supervisor {
  private readonly defs = new Map<string, ProcessDefinition>();
  private readonly running = new Map<string, Running>();
  private readonly lastExit = new Map<string, string>();
  private readonly starts = new Map<string, number>();
  private readonly pending = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly options: SupervisorOptions) {
    mkdirSync(options.logDir, { recursive: true });
  }

  /** Registers (or replaces, while it is not running) how to run `def.id`. */
  define(def: ProcessDefinition): void {
    if (this.running.has(def.id)) throw new UpError('InvalidOptions', `${def.id} is running; stop it before redefining it`);
    this.defs.set(def.id, def);
  }

  ids(): string[] {
    return [...this.defs.keys()];
  }

  logFile(id: string): string {
    return join(this.options.logDir, `${id}.log`);
  }

  status(id: string): ProcessStatus {
    this.def(id);
    const r = this.running.get(id);
    const state: ProcessState = r !== undefined ? (r.ready ? 'running' : 'starting') : this.lastExit.has(id) ? 'exited' : 'stopped';
    return { id, state, pid: r?.pid, lastExit: this.lastExit.get(id), starts: this.starts.get(id) ?? 0, logFile: this.logFile(id) };
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  pid(id: string): number | undefined {
    return this.running.get(id)?.pid;
  }

  /**
   * Starts `id` and resolves once its readiness probe passes (UpError('NotReady') after the deadline: the
   * process is then killed). Starting a running component is a no-op; concurrent starts share one.
   */
  start(id: string): Promise<void> {
    const def = this.def(id);
    if (this.closed) return Promise.reject(new UpError('NotRunning', 'the supervisor is stopping'));
    const inFlight = this.pending.get(id);
    if (inFlight !== undefined) return inFlight;
    if (this.running.has(id)) return Promise.resolve();
    const p = this.spawnAndWait(def).finally(() => this.pending.delete(id));
    this.pending.set(id, p);
    return p;
  }

  /** Sends `signal` to a running component and waits for it to exit (SIGKILL by default: a crash). */
  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.def(id);
    const r = this.running.get(id);
    if (r === undefined) return;
    r.expected = true;
    try {
      process.kill(r.pid, 'SIGCONT');
      process.kill(r.pid, signal);
    } catch {
      /* already gone */
    }
    await r.exited;
  }

  async restart(id: string): Promise<void> {
    await this.kill(id, 'SIGTERM');
    await this.start(id);
  }

  /** SIGTERM to everything we run, SIGKILL to whatever has not exited after `graceMs`. No start after this. */
  async stopAll(graceMs = STOP_GRACE_MS_DEFAULT): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pending.values()]);
    await Promise.all(
      [...this.running.values()].map(async (r) => {
        r.expected = true;
        const signal = (s: NodeJS.Signals): void => {
          try {
            process.kill(r.pid, s);
          } catch {
            /* already gone */
          }
        };
        signal('SIGCONT');
        signal('SIGTERM');
        const timer = setTimeout(() => signal('SIGKILL'), graceMs);
        await r.exited;
        clearTimeout(timer);
      }),
    );
  }

  private def(id: string): ProcessDefinition {
    const d = this.defs.get(id);
    if (d === undefined) throw new UpError('UnknownComponent', `no component ${id}`);
    return d;
  }

  private openLog(id: string): number {
    const file = this.logFile(id);
    try {
      if (statSync(file).size > LOG_FILE_BYTES_MAX) renameSync(file, `${file}.1`);
    } catch {
      /* no log yet */
    }
    return openSync(file, 'a');
  }

  private async spawnAndWait(def: ProcessDefinition): Promise<void> {
    const fd = this.openLog(def.id);
    let child: ChildProcess;
    try {
      writeSync(fd, `--- ${new Date().toISOString()} halyard up starts ${def.id}: ${def.command} ${def.args.join(' ')}\n`);
      // The child writes straight into the file (it keeps its own descriptor), so its log outlives us. It
      // gets a process group of its own (`detached`): a terminal's Ctrl-C reaches only `halyard up`, which
      // then stops the components in order (controllers release their leases while apiservers still serve).
      child = spawn(def.command, [...def.args], { stdio: ['ignore', fd, fd], detached: true, env: { ...process.env, ...def.env, [PARENT_PID_ENV]: String(process.pid) } });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      const err = await new Promise<Error>((r) => child.once('error', r));
      throw new UpError('NotReady', `${def.id} did not start: ${err.message}`);
    }
    this.starts.set(def.id, (this.starts.get(def.id) ?? 0) + 1);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, sig) => {
        const how = sig !== null ? `signal ${sig}` : `code ${String(code)}`;
        this.lastExit.set(def.id, how);
        const r = this.running.get(def.id);
        if (r?.child === child) this.running.delete(def.id);
        this.options.onEvent?.({ type: 'exited', id: def.id, pid, how, expected: r?.expected ?? true });
        resolve();
      });
    });
    const running: Running = { child, pid, exited, expected: false, ready: false };
    this.running.set(def.id, running);
    this.options.onEvent?.({ type: 'started', id: def.id, pid });
    await this.waitReady(def, running);
    running.ready = true;
    this.options.onEvent?.({ type: 'ready', id: def.id, pid });
  }

  private async waitReady(def: ProcessDefinition, r: Running): Promise<void> {
    if (def.ready === undefined) return;
    const timeoutMs = this.options.readyTimeoutMs ?? READY_TIMEOUT_MS_DEFAULT;
    const deadline = performance.now() + timeoutMs;
    let gone = false;
    void r.exited.then(() => (gone = true));
    let lastError = '';
    while (!gone && performance.now() < deadline) {
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), Math.max(1_000, Math.min(5_000, deadline - performance.now())));
      try {
        if (await def.ready(ac.signal)) return;
      } catch (e) {
        lastError = errorMessage(e);
      } finally {
        clearTimeout(t);
      }
      await new Promise((res) => setTimeout(res, READY_POLL_MS));
    }
    if (gone) throw new UpError('NotReady', `${def.id} exited (${this.lastExit.get(def.id) ?? '?'}) before it was ready; see ${this.logFile(def.id)}`);
    await this.kill(def.id, 'SIGKILL');
    throw new UpError('NotReady', `${def.id} was not ready within ${timeoutMs} ms${lastError !== '' ? ` (${lastError})` : ''}; see ${this.logFile(def.id)}`);
  }
}
