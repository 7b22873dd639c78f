// Which directory under a member's data dir holds its MVCC database. A snapshot received from the leader is
// a whole new database (storage/mvcc-snapshot.ts) in a directory of its own; installing it switches a
// pointer file, so after a crash at any moment the member finds either the old database or the new one:
//
//   mvcc/                  the database a member starts with
//   mvcc.snap-<index>/     a snapshot received complete (a directory under this name is always complete:
//                          the stream is written to `.partial` and renamed once synced and verified)
//   mvcc.snap-<index>.partial/   a stream in progress; removed at start
//   mvcc.current           the name of the directory in use (absent: `mvcc`); replaced by rename
//
// The switch is ordered after the Raft database saved the snapshot and before the member takes any later
// snapshot of its own (member.ts), so at start a received directory named after the Raft snapshot's index
// that the pointer does not name yet is exactly an install a crash interrupted: it is switched to then
// (etcd likewise opens the received `<index>.snap.db` at start when its backend is behind the snapshot).

import { readFile, readdir, rm, stat, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncPath } from '../storage/fsync.ts';

export const MVCC_DIR_DEFAULT = 'mvcc';
export const MVCC_POINTER_FILE = 'mvcc.current';
const NAME_PATTERN = /^mvcc(\.snap-\d+)?$/;
const LEFTOVER_PATTERN = /^mvcc(\.snap-\d+(\.partial)?)?$|^mvcc\.current\.tmp$/;

/** The directory a snapshot received at `index` is kept in once complete. */
export function receivedDirName(index: number): string {
  return `mvcc.snap-${index}`;
}

/** Where the stream of the snapshot at `index` is written until it is complete. */
export function partialDirName(index: number): string {
  return `${receivedDirName(index)}.partial`;
}

/** The name of the MVCC directory in use. A pointer naming anything but an MVCC directory is refused. */
export async function currentMvccDirName(dataDir: string): Promise<string> {
  let name: string;
  try {
    name = (await readFile(join(dataDir, MVCC_POINTER_FILE), 'utf8')).trim();
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return MVCC_DIR_DEFAULT;
    throw err;
  }
  if (!NAME_PATTERN.test(name)) throw new Error(`${join(dataDir, MVCC_POINTER_FILE)} names '${name.slice(0, 100)}', not an MVCC directory`);
  return name;
}

/** Make `name` the MVCC directory in use, durably: a new pointer file renamed over the old one. */
export async function pointMvccAt(dataDir: string, name: string): Promise<void> {
  if (!NAME_PATTERN.test(name)) throw new RangeError(`'${name}' is not an MVCC directory name`);
  const tmp = join(dataDir, `${MVCC_POINTER_FILE}.tmp`);
  await writeFile(tmp, `${name}\n`);
  await fsyncPath(tmp);
  await rename(tmp, join(dataDir, MVCC_POINTER_FILE));
  await fsyncPath(dataDir);
}

/**
 * The MVCC directory to open at start, given the index of the Raft database's snapshot: the received
 * directory of that snapshot if it exists and the pointer does not name it yet (an install interrupted by a
 * crash; the switch is made now), else the pointer's. Then every other MVCC directory is removed.
 */
export async function mvccDirAtStart(dataDir: string, raftSnapshotIndex: number): Promise<string> {
  let name = await currentMvccDirName(dataDir);
  const received = receivedDirName(raftSnapshotIndex);
  if (raftSnapshotIndex > 0 && name !== received && (await isDir(join(dataDir, received)))) {
    await pointMvccAt(dataDir, received);
    name = received;
  }
  await removeMvccDirsExcept(dataDir, [name]);
  return name;
}

/** Remove every MVCC directory (complete, partial) and stale pointer file except those named in `keep`. */
export async function removeMvccDirsExcept(dataDir: string, keep: readonly string[]): Promise<void> {
  for (const entry of await readdir(dataDir)) {
    if (LEFTOVER_PATTERN.test(entry) && !keep.includes(entry)) await rm(join(dataDir, entry), { recursive: true, force: true });
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
