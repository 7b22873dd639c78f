// A malformed history is a bug in whatever recorded it, not a verdict about the store, so it is rejected with
// a typed error before any search: the search would otherwise report a confusing "violation".

import type { History } from './history.ts';

export class InvalidHistoryError extends Error {
  readonly code = 'InvalidHistory';
  constructor(readonly problems: readonly string[]) {
    super(`invalid history: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`);
    this.name = 'InvalidHistoryError';
  }
}

/** Bound on the problems collected, so a wholly broken history does not build a huge error. */
const PROBLEMS_MAX = 100;

export function validateHistory(history: History): void {
  const problems: string[] = [];
  const add = (p: string): void => {
    if (problems.length < PROBLEMS_MAX) problems.push(p);
  };
  const ids = new Set<number>();
  for (const h of history) {
    if (ids.has(h.id)) add(`duplicate id ${h.id}`);
    ids.add(h.id);
    if (!Number.isFinite(h.invokeTime)) add(`#${h.id}: invokeTime is not a finite number`);
    if ((h.returnTime === null) !== (h.result === null)) add(`#${h.id}: returnTime and result must be null together`);
    if (h.returnTime !== null && !(h.returnTime >= h.invokeTime)) add(`#${h.id}: returns before it is invoked`);
    if (h.result !== null && h.result.type !== h.op.type) add(`#${h.id}: ${h.op.type} op with a ${h.result.type} result`);
    if (h.result !== null && !Number.isInteger(h.result.revision)) add(`#${h.id}: revision is not an integer`);
    if (h.result?.type === 'get' && !Number.isInteger(h.result.modRevision)) add(`#${h.id}: modRevision is not an integer`);
  }
  // One client runs one operation at a time. An operation with an unknown outcome does not hold its client:
  // the client gave up waiting and may go on, while the request may still be in flight.
  const byClient = new Map<number, { invokeTime: number; returnTime: number | null; id: number }[]>();
  for (const h of history) {
    let list = byClient.get(h.clientId);
    if (list === undefined) byClient.set(h.clientId, (list = []));
    list.push(h);
  }
  for (const [clientId, list] of byClient) {
    list.sort((a, b) => a.invokeTime - b.invokeTime);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const cur = list[i]!;
      if (prev.returnTime !== null && prev.returnTime > cur.invokeTime) {
        add(`client ${clientId}: #${cur.id} invoked before #${prev.id} returned`);
      }
    }
  }
  if (problems.length > 0) throw new InvalidHistoryError(problems);
}
