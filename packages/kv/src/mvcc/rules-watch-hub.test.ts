// Watch hub rules that mutation testing of watch-hub.ts (`pnpm mutate packages/kv/src/mvcc/watch-hub.ts`,
// docs/testing.md) found no example test protecting: the bounds and checks on a new watcher, the messages a
// catch-up and a live revision send (and do not send), cancel and close, progress notifications only from
// synced watchers (etcd's RequestProgress), a refused "compacted" message, and the revision-gap invariant.
import { describe, expect, it } from 'vitest';
import { thrownBy } from '../util/thrown.testutil.ts';
import { MvccStore } from './store.ts';
import type { RevisionEvents } from '@halyard/kv-client/protocol';
import { WatchHub, type WatchMessage, type WatchRequest } from './watch-hub.ts';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

/** A sink that takes every message and keeps it; `summary` shows each as type, revision and its events' keys. */
function collector(): { messages: WatchMessage[]; summary: () => string[]; sink: (m: WatchMessage) => boolean } {
  const messages: WatchMessage[] = [];
  return {
    messages,
    summary: () =>
      messages.map((m) =>
        m.type === 'events'
          ? `events@${m.revision} ${m.events.map((e) => `${e.type} ${s(e.kv.key)}@${e.kv.modRevision}`).join(',')}`
          : m.type === 'progress'
            ? `progress@${m.revision}`
            : `compacted@${m.compactRevision}`,
      ),
    sink: (m) => {
      messages.push(m);
      return true;
    },
  };
}

function putKeys(store: MvccStore, ...keys: string[]): void {
  for (const key of keys) store.apply({ type: 'put', key: b(key), value: b('v') });
}

/** The refusal's message (which starts with its code), or 'ok'. */
function watchError(hub: WatchHub, request: WatchRequest): string {
  try {
    hub.watch(request, () => true);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('a new watcher (etcd watch create)', () => {
  it('the number of watchers is bounded: watchersMax are taken, one more is refused naming the bound', () => {
    const hub = new WatchHub(new MvccStore(), { watchersMax: 2 });
    expect(watchError(hub, { key: b('a') })).toBe('ok');
    expect(watchError(hub, { key: b('a') })).toBe('ok');
    expect(watchError(hub, { key: b('a') })).toBe('InvalidRequest: too many watchers (max 2)');
    expect(hub.size).toBe(2);
  });

  it('without watchersMax the bound is 10,000 watchers', () => {
    const hub = new WatchHub(new MvccStore());
    for (let i = 0; i < 10_000; i++) hub.watch({ key: b('a') }, () => true);
    expect(watchError(hub, { key: b('a') })).toBe('InvalidRequest: too many watchers (max 10000)');
  });

  it('a watch names a key: an empty key or a key that is not bytes is EmptyKey (etcd ErrGRPCEmptyKey)', () => {
    const hub = new WatchHub(new MvccStore());
    expect(watchError(hub, { key: new Uint8Array(0) })).toBe('EmptyKey: key is not provided');
    expect(watchError(hub, { key: 'a' as unknown as Uint8Array })).toBe('EmptyKey: key is not provided');
    expect(hub.size).toBe(0);
  });

  it('a start revision is an integer ≥ 0: negative and fractional ones are refused', () => {
    const hub = new WatchHub(new MvccStore());
    for (const startRevision of [-1, 1.5, Number.NaN]) {
      expect(watchError(hub, { key: b('a'), startRevision })).toBe('InvalidRequest: start revision must be an integer ≥ 0');
    }
    expect(hub.size).toBe(0);
  });

  it('a compacted start is refused naming the revision asked for, the compact revision and the current one', () => {
    const store = new MvccStore();
    putKeys(store, 'a', 'a', 'a', 'a'); // revisions 2..5
    store.apply({ type: 'compaction', revision: 4 });
    const err = thrownBy(() => new WatchHub(store).watch({ key: b('a'), startRevision: 3 }, () => true));
    expect(err).toMatchObject({ code: 'Compacted', message: 'Compacted: revision 3 is compacted (compact revision 4)', compactRevision: 4, currentRevision: 5 });
  });

  it('watch ids count up from 1 and are not reused after a cancel (the wire takes ids ≥ 0, so each names one watcher)', () => {
    const hub = new WatchHub(new MvccStore());
    const first = hub.watch({ key: b('a') }, () => true);
    const second = hub.watch({ key: b('a') }, () => true);
    hub.cancel(second);
    expect([first, second, hub.watch({ key: b('a') }, () => true)]).toEqual([1, 2, 3]);
  });
});

describe('what a watcher is sent', () => {
  it('noDelete drops delete events and keeps puts (etcd NODELETE)', () => {
    const store = new MvccStore();
    const hub = new WatchHub(store);
    const c = collector();
    hub.watch({ key: b('a'), noDelete: true }, c.sink);
    putKeys(store, 'a'); // 2
    store.apply({ type: 'deleteRange', key: b('a') }); // 3
    putKeys(store, 'a'); // 4
    expect(c.summary()).toEqual(['events@2 put a@2', 'events@4 put a@4']);
  });

  it('a live revision with no matching event sends nothing (no empty events message)', () => {
    const store = new MvccStore();
    const hub = new WatchHub(store);
    const c = collector();
    hub.watch({ key: b('a') }, c.sink);
    putKeys(store, 'b', 'a', 'c'); // 2, 3, 4
    expect(c.summary()).toEqual(['events@3 put a@3']);
  });

  it('a catch-up message carries the last revision read, and a batch with no matching event sends nothing', () => {
    const store = new MvccStore();
    putKeys(store, 'a', 'b', 'b', 'b', 'b'); // 2..6
    const hub = new WatchHub(store, { catchUpRevisionsMax: 2 });
    const c = collector();
    hub.watch({ key: b('a'), startRevision: 2 }, c.sink);
    // Batches [2, 3], [4, 5], [6]: only the first holds an event for 'a'; its message says "up to 3".
    expect(hub.sync()).toBe(1);
    expect(c.summary()).toEqual(['events@3 put a@2']);
    expect(hub.sync()).toBe(1);
    expect(hub.sync()).toBe(0);
    expect(c.summary()).toEqual(['events@3 put a@2']);
  });

  it('without catchUpRevisionsMax one sync() reads at most 1,000 revisions per watcher', () => {
    const store = new MvccStore();
    for (let i = 0; i < 1_001; i++) putKeys(store, 'a'); // 2..1002
    const hub = new WatchHub(store);
    const c = collector();
    hub.watch({ key: b('a'), startRevision: 2 }, c.sink);
    expect(hub.sync()).toBe(1);
    expect(c.messages.map((m) => (m.type === 'events' ? [m.revision, m.events.length] : m.type))).toEqual([[1001, 1000]]);
    expect(hub.sync()).toBe(0);
    expect(c.messages.map((m) => (m.type === 'events' ? [m.revision, m.events.length] : m.type))).toEqual([[1001, 1000], [1002, 1]]);
  });
});

describe('cancel, close and allSynced', () => {
  it('cancel removes the watcher (true) and it is sent nothing more; a second cancel of the same id is false', () => {
    const store = new MvccStore();
    const hub = new WatchHub(store);
    const c = collector();
    const id = hub.watch({ key: b('a') }, c.sink);
    expect(hub.cancel(id)).toBe(true);
    expect(hub.size).toBe(0);
    putKeys(store, 'a');
    expect(c.messages).toEqual([]);
    expect(hub.cancel(id)).toBe(false);
  });

  it('close drops every watcher and stops listening to the store', () => {
    const store = new MvccStore();
    const hub = new WatchHub(store);
    const c = collector();
    hub.watch({ key: b('a') }, c.sink);
    hub.close();
    expect(hub.size).toBe(0);
    putKeys(store, 'a');
    expect(c.messages).toEqual([]);
  });

  it('allSynced is true with no watcher and with only synced ones, false while one is behind', () => {
    const store = new MvccStore();
    putKeys(store, 'a');
    const hub = new WatchHub(store);
    expect(hub.allSynced).toBe(true);
    hub.watch({ key: b('a') }, () => true);
    expect(hub.allSynced).toBe(true);
    hub.watch({ key: b('a'), startRevision: 2 }, () => true);
    expect(hub.allSynced).toBe(false);
    hub.sync();
    expect(hub.allSynced).toBe(true);
  });
});

describe('progress notifications (etcd progress_notify, RequestProgress)', () => {
  it('progress() goes only to watchers that asked for it', () => {
    const store = new MvccStore();
    putKeys(store, 'a');
    const hub = new WatchHub(store);
    const asked = collector();
    const silent = collector();
    hub.watch({ key: b('a'), progressNotify: true }, asked.sink);
    hub.watch({ key: b('a') }, silent.sink);
    hub.progress();
    expect(asked.summary()).toEqual(['progress@2']);
    expect(silent.messages).toEqual([]);
  });

  it('an unsynced watcher gets no progress (it would claim events it has not been sent), asked or by request', () => {
    const store = new MvccStore();
    putKeys(store, 'a', 'a'); // 2, 3
    const hub = new WatchHub(store);
    const c = collector();
    const id = hub.watch({ key: b('a'), startRevision: 2, progressNotify: true }, c.sink);
    hub.progress();
    expect(hub.requestProgress(id)).toBe(false);
    expect(c.messages).toEqual([]);
    hub.sync();
    expect(hub.requestProgress(id)).toBe(true);
    expect(c.summary()).toEqual(['events@3 put a@2,put a@3', 'progress@3']);
  });

  it('requestProgress of an unknown watcher is false', () => {
    const hub = new WatchHub(new MvccStore());
    expect(hub.requestProgress(7)).toBe(false);
  });
});

describe('compaction of a lagging watcher', () => {
  it('a refused "compacted" message keeps the watcher, counted as unsynced, until a sync() delivers it', () => {
    const store = new MvccStore();
    putKeys(store, 'a', 'a', 'a'); // 2..4
    const hub = new WatchHub(store);
    let open = false;
    const got: WatchMessage[] = [];
    const id = hub.watch({ key: b('a'), startRevision: 2 }, (m) => {
      if (!open) return false;
      got.push(m);
      return true;
    });
    store.apply({ type: 'compaction', revision: 3 });
    expect(hub.sync()).toBe(1);
    expect(hub.size).toBe(1);
    open = true;
    expect(hub.sync()).toBe(0);
    expect(got).toEqual([{ type: 'compacted', watchId: id, compactRevision: 3 }]);
    expect(hub.size).toBe(0);
  });
});

describe('invariants', () => {
  it('a synced watcher handed a revision past its cursor (a gap in the store\'s revisions) crashes the hub instead of skipping events', () => {
    // A stand-in for the store whose applied revisions skip one: MvccStore never does, so only a fake shows it.
    let listener: ((applied: RevisionEvents) => void) | undefined;
    const gappy = {
      revision: 1,
      compactRevision: 0,
      subscribe: (l: (applied: RevisionEvents) => void) => {
        listener = l;
        return () => {};
      },
    } as unknown as MvccStore;
    const hub = new WatchHub(gappy);
    hub.watch({ key: b('a') }, () => true);
    expect(() => listener?.({ revision: 3, events: [] })).toThrow('mvcc invariant violated: watcher 1 at 2 got 3');
  });
});
