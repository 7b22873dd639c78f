// Running a crash child (a script that prints `start <n>` then `ack <n>` lines as its writes become durable)
// and SIGKILLing it right after its N-th acknowledgement, mid-write. Shared by the kill -9 tests.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DEADLINE_MS = 60_000;

const children: ChildProcess[] = [];

/** SIGKILL any child still running (call in afterEach). */
export function killCrashChildren(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Run `script dir` until it has acknowledged `acks` more writes, SIGKILL it, return the highest acked number. */
export async function runAndKill(script: string, dir: string, acks: number): Promise<{ started: number; acked: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const result = await new Promise<{ started: number; acked: number }>((resolve, reject) => {
    let buf = '';
    let started = -1;
    let acked = -1;
    let seen = 0;
    const timer = setTimeout(() => reject(new Error(`child made no progress in ${DEADLINE_MS} ms (acks ${seen}); stderr: ${stderr}`)), DEADLINE_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (seen < acks) reject(new Error(`child exited early (${code ?? signal}); stderr: ${stderr}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const [word, n] = line.split(' ');
        if (word === 'start') started = Number(n);
        if (word === 'ack') {
          acked = Number(n);
          seen++;
          if (seen === acks) {
            // Kill mid-stream: the child is inside its next saveReady right now.
            clearTimeout(timer);
            process.kill(child.pid!, 'SIGKILL');
            resolve({ started, acked });
          }
        }
      }
    });
  });
  await exited;
  return result;
}
