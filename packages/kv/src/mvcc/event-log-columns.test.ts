// The event log keeps its changes in columns (event-log.ts); these check it against the plain meaning of
// "a list of revisions, each with its changes": what goes in comes out, compaction drops whole revisions
// below the compact revision, and a bounded scan stops at revision boundaries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RevisionBackend } from './backend.ts';
import { EventLog, type Change, type RevisionChanges } from './event-log.ts';

/** Revisions ascending with gaps, 1–3 changes each (a txn has several), puts and deletes, with and without prev. */
const entries = fc
  .array(
    fc.tuple(
      fc.integer({ min: 1, max: 3 }),
      fc.array(fc.record({ type: fc.constantFrom<'put' | 'delete'>('put', 'delete'), key: fc.constantFrom('a', 'b', 'c\xff'), prev: fc.option(fc.tuple(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 0, max: 3 })), { nil: undefined }) }), { minLength: 1, maxLength: 3 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => {
    let revision = 1;
    return parts.map(([gap, changes]): RevisionChanges => {
      revision += gap;
      return { revision, changes: changes.map((c, sub): Change => ({ type: c.type, key: c.key, sub, prev: c.prev === undefined ? undefined : { main: c.prev[0], sub: c.prev[1] } })) };
    });
  });

/** A backend that answers every read with a KeyValue naming the revision asked for. */
const echo: RevisionBackend = {
  read: (r) => ({ key: new Uint8Array(), createRevision: r.main, modRevision: r.main, version: r.sub, value: new Uint8Array(), lease: 0 }),
  write: () => {},
  remove: () => {},
};

describe('event log columns', () => {
  it('gives back exactly the entries appended, and after compact(r) exactly those at r or later', () => {
    // Invariant: all() of a log restored from entries equals the entries (every field of every change,
    // prev absent or present); compact(r) keeps the entries with revision ≥ r, unchanged.
    fc.assert(
      fc.property(entries, fc.integer({ min: 0, max: 150 }), (es, r) => {
        const log = EventLog.restore(es);
        expect(log.all()).toEqual(es);
        log.compact(r);
        expect(log.all()).toEqual(es.filter((e) => e.revision >= r));
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it('scans whole revisions from the start revision, at most revisionsMax of them, and says where to go on', () => {
    // Invariant: eventsSince(start, max) returns the events of the first `max` entries at or after `start`,
    // every change of each (a revision is never split), in order, and nextRevision is the revision of the
    // first entry not returned, or current + 1 when none is left.
    fc.assert(
      fc.property(entries, fc.integer({ min: 1, max: 150 }), fc.integer({ min: 1, max: 5 }), (es, start, max) => {
        const current = es.at(-1)?.revision ?? 1;
        const got = EventLog.restore(es).eventsSince(echo, start, undefined, 0, current, max);
        const wanted = es.filter((e) => e.revision >= start);
        const taken = wanted.slice(0, max);
        expect(got.events.map((e) => [e.type, e.kv.modRevision, e.prevKv?.modRevision, e.prevKv?.version])).toEqual(
          taken.flatMap((e) => e.changes.map((c) => [c.type, e.revision, c.prev?.main, c.prev?.sub])),
        );
        expect(got.nextRevision).toBe(Math.max(wanted[max]?.revision ?? current + 1, start));
      }),
      { seed: 13, numRuns: 300 },
    );
  });

  it('logs the same when fed one change at a time (appendChange, as a rebuild does) as when fed whole revisions', () => {
    // Invariant: appending every change of the entries one by one, in (revision, sub) order, gives a log
    // equal to EventLog.restore(entries).
    fc.assert(
      fc.property(entries, (es) => {
        const log = new EventLog();
        for (const e of es) for (const c of e.changes) log.appendChange(e.revision, c.type, c.key, c.sub, c.prev);
        expect(log.all()).toEqual(es);
      }),
      { seed: 14, numRuns: 200 },
    );
  });

  it('refuses a change of an earlier revision, or one not after the last sub-revision of the same revision', () => {
    const log = new EventLog();
    log.appendChange(5, 'put', 'a', 0, undefined);
    log.appendChange(5, 'put', 'b', 1, undefined);
    expect(() => log.appendChange(5, 'put', 'c', 1, undefined)).toThrow('event log must grow');
    expect(() => log.appendChange(4, 'put', 'c', 2, undefined)).toThrow('event log must grow');
    expect(() => log.append({ revision: 5, changes: [{ type: 'put', key: 'c', sub: 2, prev: undefined }] })).toThrow('event log must grow');
    log.appendChange(5, 'delete', 'a', 2, { main: 5, sub: 0 });
    log.appendChange(6, 'put', 'a', 0, undefined);
    expect(log.all().map((e) => [e.revision, e.changes.length])).toEqual([
      [5, 3],
      [6, 1],
    ]);
  });

  it('refuses an entry at or before the last revision even when the log holds nothing of it after a compaction', () => {
    const log = EventLog.restore([{ revision: 5, changes: [{ type: 'put', key: 'a', sub: 0, prev: undefined }] }]);
    log.compact(6);
    expect(log.all()).toEqual([]);
    expect(() => log.append({ revision: 5, changes: [{ type: 'put', key: 'a', sub: 0, prev: undefined }] })).toThrow('event log must grow');
    expect(() => log.appendChange(5, 'put', 'a', 1, undefined)).toThrow('event log must grow');
  });
});
