// One real-process test file at a time, across vitest workers and even across concurrent vitest runs on
// this machine. Each file runs three to five member processes; two files at once on a loaded 2-core
// machine starve each other's event loops, leaders miss heartbeats, and the tests measure scheduling
// instead of the store. A lock directory (mkdir is atomic) serializes the files without touching the
// root vitest config; other test files still run in parallel with these.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

const LOCK_DIR = join(tmpdir(), 'halyard-kv-cluster-tests.lock');
const OWNER_FILE = join(LOCK_DIR, 'owner');
/** A holder stuck longer than this (a hung worker) no longer blocks others. */
const LOCK_HELD_MS_MAX = 10 * 60_000;
/** How long a file waits for its turn: the other files' whole runtime, with room to spare. */
export const LOCK_WAIT_MS_MAX = 12 * 60_000;
const LOCK_POLL_MS = 100;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but is not ours; only ESRCH means gone.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function stale(): Promise<boolean> {
  let owner: { pid: number; sinceMs: number };
  try {
    owner = JSON.parse(await readFile(OWNER_FILE, 'utf8')) as { pid: number; sinceMs: number };
  } catch {
    // Directory made but owner not written yet (or half written): give the holder a moment.
    return false;
  }
  return !alive(owner.pid) || Date.now() - owner.sinceMs > LOCK_HELD_MS_MAX;
}

/** Take the lock; resolves with its release. */
export async function holdClusterLock(): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS_MAX;
  let ownerMissingSinceMs: number | undefined;
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      await writeFile(OWNER_FILE, JSON.stringify({ pid: process.pid, sinceMs: Date.now() }));
      return async () => {
        await rm(LOCK_DIR, { recursive: true, force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (await stale()) {
      await rm(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    // A holder that died between mkdir and writing its owner file would block forever otherwise.
    const hasOwner = await readFile(OWNER_FILE, 'utf8').then(() => true, () => false);
    if (hasOwner) ownerMissingSinceMs = undefined;
    else if (ownerMissingSinceMs === undefined) ownerMissingSinceMs = Date.now();
    else if (Date.now() - ownerMissingSinceMs > 5_000) {
      await rm(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`waited ${LOCK_WAIT_MS_MAX} ms for ${LOCK_DIR}; another real-process test file holds it`);
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
  }
}

/** Hold the lock for the whole of the calling test file. */
export function serializeThisFile(): void {
  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    release = await holdClusterLock();
  }, LOCK_WAIT_MS_MAX);
  afterAll(async () => {
    await release?.();
  });
}
