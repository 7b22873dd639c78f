// Child process for crash.test.ts: appends Readies to the raft storage in `argv[2]` as fast as it can
// and prints `ack <lastIndex>` only after saveReady resolved, i.e. after the fsync. The parent kills
// it with SIGKILL at an arbitrary point and checks that every acknowledged index survived.

import { DiskStorage } from './disk-storage.ts';
import type { Entry } from '../raft/types.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: crash-child.ts <dir>');
const { storage, state } = await DiskStorage.open(dir);
let last = state.entries.length > 0 ? state.entries[state.entries.length - 1]!.index : state.snapshot.metadata.index;
const term = state.hardState.term + 1;
process.stdout.write(`start ${last}\n`);
for (let round = 0; ; round++) {
  // 1 to 4 entries per Ready, ~1 KiB each, so batches vary.
  const count = (round % 4) + 1;
  const entries: Entry[] = [];
  for (let k = 1; k <= count; k++) entries.push({ type: 'normal', index: last + k, term, data: new Uint8Array(1024).fill((last + k) & 0xff) });
  await storage.saveReady({ hardState: { term, vote: 1, commit: last }, entries });
  last += count;
  process.stdout.write(`ack ${last}\n`);
}
