// A signal for one lock call: aborts when any parent aborts or after `timeoutMs` on the elector's clock
// (never a real timer, so a fake clock decides when calls time out). `done()` releases the timer.
import type { ElectionClock } from '../clock.ts';
import { ElectionError } from '../errors.ts';

export interface CallSignal {
  readonly signal: AbortSignal;
  done(): void;
}

export function callSignal(clock: ElectionClock, parents: readonly AbortSignal[], timeoutMs: number): CallSignal {
  const timeout = new AbortController();
  const cancel = clock.setTimer(() => timeout.abort(new ElectionError('Unavailable', `lock call did not complete within ${Math.round(timeoutMs)} ms`)), timeoutMs);
  return { signal: AbortSignal.any([...parents, timeout.signal]), done: cancel };
}
