import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMvccError } from './errors.ts';
import { prefixEnd } from './key-range.ts';
import { MvccStore } from './store.ts';
import type { Event } from '@halyard/kv-client/protocol';
import { WatchHub, type WatchMessage, type WatchRequest } from './watch-hub.ts';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');
const show = (e: Event): string => `${e.type} ${s(e.kv.key)}@${e.kv.modRevision}${e.prevKv ? ` prev@${e.prevKv.modRevision}` : ''}`;

function collector(): { messages: WatchMessage[]; events: () => string[]; sink: (m: WatchMessage) => boolean } {
  const messages: WatchMessage[] = [];
  return {
    messages,
    events: () => messages.flatMap((m) => (m.type === 'events' ? m.events.map(show) : [])),
    sink: (m) => {
      messages.push(m);
      return true;
    },
  };
}

describe('WatchHub', () => {
  it('delivers new events to a watcher from now, filtered by key / prefix, with prevKv when asked', () => {
    const store = new MvccStore();
    const hub = new WatchHub(store);
    const one = collector();
    const prefix = collector();
    hub.watch({ key: b('a') }, one.sink);
    hub.watch({ key: b('a'), rangeEnd: prefixEnd(b('a')), prevKv: true }, prefix.sink);
    store.apply({ type: 'put', key: b('a'), value: b('1') });
    store.apply({ type: 'put', key: b('ab'), value: b('1') });
    store.apply({ type: 'put', key: b('b'), value: b('1') });
    store.apply({ type: 'deleteRange', key: b('a'), rangeEnd: b('b') });
    expect(one.events()).toEqual(['put a@2', 'delete a@5']);
    expect(prefix.events()).toEqual(['put a@2', 'put ab@3', 'delete a@5 prev@2', 'delete ab@5 prev@3']);
  });

  it('catches a watcher up from a past revision, then follows live; noPut / noDelete filters', () => {
    const store = new MvccStore();
    for (let i = 0; i < 5; i++) store.apply({ type: 'put', key: b('k'), value: b(String(i)) });
    const hub = new WatchHub(store, { catchUpRevisionsMax: 2 });
    const c = collector();
    const deletes = collector();
    hub.watch({ key: b('k'), startRevision: 3 }, c.sink);
    hub.watch({ key: b('k'), startRevision: 2, noPut: true }, deletes.sink);
    expect(hub.allSynced).toBe(false);
    store.apply({ type: 'put', key: b('k'), value: b('x') }); // 7, while unsynced: comes from the log
    let rounds = 0;
    while (hub.sync() > 0) rounds++;
    expect(rounds).toBeGreaterThan(0);
    store.apply({ type: 'deleteRange', key: b('k') }); // 8, live
    expect(c.events()).toEqual(['put k@3', 'put k@4', 'put k@5', 'put k@6', 'put k@7', 'delete k@8']);
    expect(deletes.events()).toEqual(['delete k@8']);
  });

  it('refuses a compacted start; tells a lagging watcher its next revision was compacted', () => {
    const store = new MvccStore();
    for (let i = 0; i < 5; i++) store.apply({ type: 'put', key: b('k'), value: b(String(i)) });
    store.apply({ type: 'compaction', revision: 4 });
    const hub = new WatchHub(store);
    let err: unknown;
    try {
      hub.watch({ key: b('k'), startRevision: 3 }, () => true);
    } catch (e) {
      err = e;
    }
    expect(isMvccError(err, 'Compacted') && err.compactRevision).toBe(4);
    const c = collector();
    const id = hub.watch({ key: b('k'), startRevision: 4 }, c.sink);
    store.apply({ type: 'compaction', revision: 6 });
    hub.sync();
    expect(c.messages).toEqual([{ type: 'compacted', watchId: id, compactRevision: 6 }]);
    expect(hub.size).toBe(0);
  });

  it('a sink that refuses loses nothing: the events come again from the log', () => {
    const store = new MvccStore();
    const hub = new WatchHub(store);
    const got: string[] = [];
    let open = true;
    hub.watch({ key: b('k') }, (m) => {
      if (!open) return false;
      if (m.type === 'events') got.push(...m.events.map(show));
      return true;
    });
    store.apply({ type: 'put', key: b('k'), value: b('1') });
    open = false;
    store.apply({ type: 'put', key: b('k'), value: b('2') });
    store.apply({ type: 'put', key: b('k'), value: b('3') });
    expect(hub.sync()).toBe(1);
    open = true;
    expect(hub.sync()).toBe(0);
    store.apply({ type: 'put', key: b('k'), value: b('4') });
    expect(got).toEqual(['put k@2', 'put k@3', 'put k@4', 'put k@5']);
  });

  it('progress notifications go to synced watchers that asked; a future start waits for its revision', () => {
    const store = new MvccStore();
    const hub = new WatchHub(store);
    const c = collector();
    const id = hub.watch({ key: b('k'), startRevision: 3, progressNotify: true }, c.sink);
    store.apply({ type: 'put', key: b('k'), value: b('1') }); // 2: before the start
    store.apply({ type: 'put', key: b('k'), value: b('2') }); // 3
    hub.progress();
    expect(c.events()).toEqual(['put k@3']);
    expect(c.messages.at(-1)).toEqual({ type: 'progress', watchId: id, revision: 3 });
    expect(hub.requestProgress(id)).toBe(true);
  });

  it('property: every watcher receives exactly its slice of history, in order, whatever the interleaving', () => {
    // Invariant: for each watcher, the concatenation of its events equals the store's events at revisions
    // ≥ its start that match its key range, in order — or, if it was told "compacted", a prefix of that,
    // cut exactly where its next revision fell below the compact revision.
    const keyArb = fc.constantFrom('a', 'ab', 'b', 'c');
    type Action =
      | { kind: 'put'; key: string }
      | { kind: 'del'; key: string; prefix: boolean }
      | { kind: 'txn'; keys: string[] }
      | { kind: 'watch'; key: string; prefix: boolean; back: number; prevKv: boolean }
      | { kind: 'sync' }
      | { kind: 'block'; watcher: number; blocked: boolean }
      | { kind: 'compact'; back: number }
      | { kind: 'cancel'; watcher: number };
    const actionArb: fc.Arbitrary<Action> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('del' as const), key: keyArb, prefix: fc.boolean() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('txn' as const), keys: fc.uniqueArray(keyArb, { maxLength: 3 }) }) },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('watch' as const), key: keyArb, prefix: fc.boolean(), back: fc.integer({ min: -1, max: 8 }), prevKv: fc.boolean() }),
      },
      { weight: 3, arbitrary: fc.constant({ kind: 'sync' as const }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('block' as const), watcher: fc.nat(5), blocked: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), back: fc.nat(6) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), watcher: fc.nat(5) }) },
    );
    fc.assert(
      fc.property(fc.array(actionArb, { maxLength: 80, size: 'max' }), (actions) => {
        const store = new MvccStore();
        const history: Event[] = [];
        store.subscribe((applied) => history.push(...applied.events));
        const hub = new WatchHub(store, { catchUpRevisionsMax: 3 });
        interface W {
          id: number;
          request: WatchRequest;
          start: number;
          got: Event[];
          blocked: boolean;
          compactedAt?: number;
          cancelled: boolean;
        }
        const ws: W[] = [];
        for (const a of actions) {
          switch (a.kind) {
            case 'put':
              store.apply({ type: 'put', key: b(a.key), value: b('v') });
              break;
            case 'del':
              store.apply({ type: 'deleteRange', key: b(a.key), ...(a.prefix ? { rangeEnd: prefixEnd(b(a.key)) } : {}) });
              break;
            case 'txn':
              store.apply({ type: 'txn', compare: [], success: a.keys.map((k) => ({ type: 'put' as const, key: b(k), value: b('t') })), failure: [] });
              break;
            case 'watch': {
              const start = a.back < 0 ? 0 : Math.max(1, store.revision - a.back);
              const request: WatchRequest = { key: b(a.key), ...(a.prefix ? { rangeEnd: prefixEnd(b(a.key)) } : {}), startRevision: start, prevKv: a.prevKv };
              const w: W = { id: 0, request, start: start === 0 ? store.revision + 1 : start, got: [], blocked: false, cancelled: false };
              try {
                w.id = hub.watch(request, (m) => {
                  if (w.blocked) return false;
                  if (m.type === 'events') w.got.push(...m.events);
                  if (m.type === 'compacted') w.compactedAt = m.compactRevision;
                  return true;
                });
                ws.push(w);
              } catch (err) {
                expect(isMvccError(err, 'Compacted')).toBe(true);
                expect(start).toBeLessThan(store.compactRevision);
              }
              break;
            }
            case 'sync':
              hub.sync();
              break;
            case 'block': {
              const w = ws[a.watcher];
              if (w) w.blocked = a.blocked;
              break;
            }
            case 'compact': {
              const rev = store.revision - a.back;
              if (rev > store.compactRevision) store.apply({ type: 'compaction', revision: rev });
              break;
            }
            case 'cancel': {
              const w = ws[a.watcher];
              if (w && !w.cancelled) {
                w.cancelled = true;
                hub.cancel(w.id);
              }
              break;
            }
          }
        }
        for (const w of ws) w.blocked = false;
        for (let i = 0; hub.sync() > 0; i++) expect(i).toBeLessThan(1000);
        for (const w of ws) {
          const range = w.request.rangeEnd ? [s(w.request.key), s(w.request.rangeEnd)] : undefined;
          const expected = history.filter(
            (e) => e.kv.modRevision >= w.start && (range ? s(e.kv.key) >= range[0]! && s(e.kv.key) < range[1]! : s(e.kv.key) === s(w.request.key)),
          );
          const got = w.got.map(show);
          const want = expected.map((e) => show(w.request.prevKv ? e : { ...e, prevKv: undefined }));
          if (w.cancelled || w.compactedAt !== undefined) {
            expect(want.slice(0, got.length)).toEqual(got);
            if (w.compactedAt !== undefined && !w.cancelled) {
              // it was cut where its next revision fell below the compact revision
              const next = (w.got.at(-1)?.kv.modRevision ?? w.start - 1) + 1;
              expect(next).toBeLessThan(w.compactedAt);
            }
          } else {
            expect(got).toEqual(want);
          }
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
