// Kill -9 durability: an index acknowledged by saveReady (after its fsync'd batch) survives SIGKILL.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskStorage } from './disk-storage.ts';
import { tempDir } from './test-helpers.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const ACKS_BEFORE_KILL = 150;
const DEADLINE_MS = 60_000;

let children: ChildProcess[] = [];
let cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
  for (const c of cleanups.splice(0)) await c();
});

/** Run the child until it has acknowledged `acks` more Readies, SIGKILL it, return the highest acked index. */
async function runAndKill(dir: string, acks: number): Promise<{ started: number; acked: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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

describe('DiskStorage under kill -9', () => {
  it('every acknowledged index survives SIGKILL, over several crash/restart rounds', async () => {
    const { dir, cleanup } = await tempDir('crash');
    cleanups.push(cleanup);
    let previousAcked = 0;
    for (let round = 0; round < 3; round++) {
      const { started, acked } = await runAndKill(dir, ACKS_BEFORE_KILL);
      expect(started).toBeGreaterThanOrEqual(previousAcked);
      const { storage, state } = await DiskStorage.open(dir);
      try {
        const last = state.entries[state.entries.length - 1]!.index;
        expect(last).toBeGreaterThanOrEqual(acked);
        expect(state.entries[0]!.index).toBe(1);
        expect(state.entries.length).toBe(last);
        for (const e of state.entries) {
          expect(e.type === 'normal' && e.data.byteLength === 1024 && e.data[0] === (e.index & 0xff)).toBe(true);
        }
        expect(state.hardState.commit).toBeLessThanOrEqual(last);
      } finally {
        await storage.close();
      }
      previousAcked = acked;
    }
  });
});
