// What a watcher saw, checked against the history of writes: events come in revision order with no
// revision seen twice, every acknowledged write to the watched keys appears exactly once at the revision
// its client was told, and nothing appears that no client wrote.

import type { Event } from '@halyard/kv-client/protocol';
import type { History } from '../check/history.ts';
import { bytesToString } from '@halyard/kv-client';

export interface WatchCheckResult {
  readonly ok: boolean;
  readonly eventsSeen: number;
  readonly problems: readonly string[];
}

/** Problems reported at most (the rest are counted). */
const PROBLEMS_MAX = 50;

export function checkWatchEvents(events: readonly Event[], history: History, watchedUpToRevision: number): WatchCheckResult {
  const problems: string[] = [];
  const add = (p: string): void => {
    if (problems.length < PROBLEMS_MAX) problems.push(p);
  };
  let lastRevision = 0;
  const putsByValue = new Map<string, number>();
  for (const e of events) {
    const rev = e.kv.modRevision;
    if (rev < lastRevision) add(`event at revision ${rev} after one at ${lastRevision}: out of order`);
    lastRevision = Math.max(lastRevision, rev);
    if (e.type === 'put') {
      const v = bytesToString(e.kv.value);
      if (putsByValue.has(v)) add(`value ${v} delivered twice (revisions ${putsByValue.get(v)} and ${rev})`);
      putsByValue.set(v, rev);
    }
  }
  const written = new Set<string>();
  for (const h of history) {
    if (h.op.type === 'put' || h.op.type === 'cas') written.add(h.op.value);
    if (h.result === null || h.returnTime === null) continue;
    // Acknowledged writes up to the revision the watcher is known to have reached must all be there.
    if (h.op.type === 'put' && h.result.type === 'put' && h.result.revision <= watchedUpToRevision) {
      const seen = putsByValue.get(h.op.value);
      if (seen === undefined) add(`acknowledged put ${h.op.key}=${h.op.value} at revision ${h.result.revision} never reached the watcher`);
      else if (seen !== h.result.revision) add(`put ${h.op.value}: client told revision ${h.result.revision}, watcher saw ${seen}`);
    }
    if (h.op.type === 'cas' && h.result.type === 'cas' && h.result.succeeded && h.result.revision <= watchedUpToRevision && !putsByValue.has(h.op.value)) {
      add(`acknowledged cas ${h.op.key}=${h.op.value} at revision ${h.result.revision} never reached the watcher`);
    }
  }
  for (const v of putsByValue.keys()) if (!written.has(v)) add(`watcher saw value ${v} that no client wrote`);
  return { ok: problems.length === 0, eventsSeen: events.length, problems };
}
