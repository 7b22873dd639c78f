// CMD of the real-process tests, as a user's job under `halyard elect … -- CMD` would be: while started,
// write work/last = "identity token seq" through the fence every WRITE_PERIOD_MS, using only what the
// environment gives it ($HALYARD_FENCE_KEY, $HALYARD_FENCING_TOKEN, $HALYARD_ENDPOINTS). On SIGTERM it
// makes one last fenced write (a checkpoint) and exits, so a deposed leader's final write is visible.
// Every outcome goes to the log file given as the first argument: `ok|refused|error <tick|final> <value>`.
import { appendFileSync } from 'node:fs';
import { fencedTxnWithToken, isElectionError, KvClient } from '../../packages/election/src/index.ts';

const WRITE_PERIOD_MS = 200;
const log = process.argv[2] ?? '/dev/null';
const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set`);
  return v;
};
const fenceKey = env('HALYARD_FENCE_KEY');
const token = Number(env('HALYARD_FENCING_TOKEN'));
const identity = env('HALYARD_IDENTITY');
const kv = new KvClient({ endpoints: env('HALYARD_ENDPOINTS').split(','), requestTimeoutMs: 3_000 });
let seq = 0;
let stopping = false;
let inflight: Promise<void> = Promise.resolve();

async function write(what: 'tick' | 'final'): Promise<void> {
  const value = `${identity} ${token} ${seq++}`;
  try {
    await fencedTxnWithToken(kv, fenceKey, token, { success: [{ type: 'put', key: 'work/last', value }] });
    appendFileSync(log, `ok ${what} ${value}\n`);
  } catch (e) {
    appendFileSync(log, `${isElectionError(e, 'Deposed') ? 'refused' : 'error'} ${what} ${value} ${e instanceof Error ? e.message : String(e)}\n`);
  }
}

process.on('SIGTERM', () => {
  stopping = true;
  void inflight
    .then(() => write('final'))
    .finally(() => process.exit(0));
});

appendFileSync(log, `start ${identity} ${token} pid ${process.pid}\n`);
while (!stopping) {
  inflight = write('tick');
  await inflight;
  await new Promise((r) => setTimeout(r, WRITE_PERIOD_MS));
}
