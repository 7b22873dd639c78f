// Event log rules mutation testing of event-log.ts (`pnpm mutate packages/kv/src/mvcc/event-log.ts`,
// docs/testing.md) found no example test protecting: the log only grows, a start revision is checked before
// anything is read, a start below the compact revision names both revisions, and an event whose KeyValue is
// missing from the backend is a crash (a compaction bug), never an event without it.
import { describe, expect, it } from 'vitest';
import { MemoryRevisionBackend } from './backend.ts';
import { EventLog, materialize, type RevisionChanges } from './event-log.ts';
import { isMvccError, MvccError } from './errors.ts';
import { thrownBy } from '../util/thrown.testutil.ts';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

const putOf = (revision: number, key: string): RevisionChanges => ({ revision, changes: [{ type: 'put', key, sub: 0, prev: undefined }] });

/** A log of puts of key "a" at revisions 2, 3 and 4, with their KeyValues in the backend. */
function logOfThree(): { log: EventLog; backend: MemoryRevisionBackend } {
  const backend = new MemoryRevisionBackend();
  const log = new EventLog();
  for (const revision of [2, 3, 4]) {
    backend.write({ main: revision, sub: 0 }, { key: b('a'), kv: { key: b('a'), createRevision: 2, modRevision: revision, version: revision - 1, value: b(`${revision}`), lease: 0 } });
    log.append(putOf(revision, 'a'));
  }
  return { log, backend };
}

describe('event log (etcd watchable store history)', () => {
  it('grows only: an entry at or before the last revision is a bug, refused', () => {
    const { log } = logOfThree();
    expect(() => log.append(putOf(4, 'b'))).toThrow('mvcc invariant violated: event log must grow');
    expect(() => log.append(putOf(3, 'b'))).toThrow('mvcc invariant violated: event log must grow');
    log.append(putOf(5, 'b'));
    expect(log.all().map((e) => e.revision)).toEqual([2, 3, 4, 5]);
  });

  it('a start revision that is not an integer ≥ 1 is an InvalidRequest, before any compaction check', () => {
    const { log, backend } = logOfThree();
    for (const start of [0, -1, 1.5, Number.NaN]) {
      const err = thrownBy(() => log.eventsSince(backend, start, undefined, 0, 4));
      expect(isMvccError(err, 'InvalidRequest')).toBe(true);
      expect((err as MvccError).message).toBe('InvalidRequest: start revision must be an integer ≥ 1');
    }
    expect(log.eventsSince(backend, 1, undefined, 0, 4).events.map((e) => e.kv.modRevision)).toEqual([2, 3, 4]);
  });

  it('a start below the compact revision is Compacted, naming the start and both store revisions', () => {
    const { log, backend } = logOfThree();
    log.compact(3);
    const err = thrownBy(() => log.eventsSince(backend, 2, undefined, 3, 4));
    expect(isMvccError(err, 'Compacted')).toBe(true);
    expect(err).toMatchObject({ compactRevision: 3, currentRevision: 4 });
    expect((err as MvccError).message).toBe('Compacted: revision 2 is compacted (compact revision 3)');
    expect(log.eventsSince(backend, 3, undefined, 3, 4).events.map((e) => e.kv.modRevision)).toEqual([3, 4]);
  });

  it('a logged put or prevKv missing from the backend is a crash naming the revision, not an event without it', () => {
    const backend = new MemoryRevisionBackend();
    expect(() => materialize(5, { type: 'put', key: 'a', sub: 1, prev: undefined }, backend)).toThrow(
      'mvcc invariant violated: the put at 5.1 is missing from the backend',
    );
    expect(() => materialize(5, { type: 'delete', key: 'a', sub: 0, prev: { main: 3, sub: 0 } }, backend)).toThrow(
      'mvcc invariant violated: prevKv of 5.0 is missing from the backend',
    );
  });
});
