// Child process for state-machine-crash.test.ts: applies one put per "log index" to a state machine on
// LevelDB and commits after every 1–4 of them, several commits in flight at once, printing `ack <index>`
// once a commit resolved. The parent kills it with SIGKILL at an arbitrary point.

import { KvStateMachine } from './state-machine.ts';
import { StateMachineDisk } from './state-machine-disk.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: state-machine-crash-child.ts <dir>');
const o = await StateMachineDisk.open(dir);
const sm = new KvStateMachine(o.mvcc, o.dedupe, o.members, o.removed, o.journal);
let index = o.consistentIndex;
process.stdout.write(`start ${index}\n`);
const value = new Uint8Array(1024);
for (let round = 0; ; round++) {
  const count = (round % 4) + 1;
  for (let k = 0; k < count; k++) {
    index++;
    sm.applyPayload({ kind: 'command', requestId: `i${index}`, command: { type: 'put', key: new TextEncoder().encode(`k${index % 50}`), value: value.fill(index & 0xff) } });
  }
  const committed = index;
  const done = sm.commit(committed, round % 3 === 0).then(() => process.stdout.write(`ack ${committed}\n`));
  // Every other round waits, so up to two batches are in flight when the kill lands.
  if (round % 2 === 1) await done;
}
