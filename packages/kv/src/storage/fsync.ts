// Durability of names, not only of contents: after a rename or a new file in a directory, the directory
// itself must be fsync'd, or a crash may forget the new name (POSIX; what etcd's fileutil.Fsync of a
// directory is for). The one place the storage code does it.
import { open } from 'node:fs/promises';

/** fsync a file or a directory by path (a directory is opened read-only, which Linux allows to fsync). */
export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
