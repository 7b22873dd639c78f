// Memory backend rules mutation testing of backend.ts (`pnpm mutate packages/kv/src/mvcc/backend.ts`,
// docs/testing.md) found no example test protecting: reads and removals of revisions it does not hold answer
// "absent" rather than crash (compaction may hand over a revision twice; a watcher may read a sub-revision of
// a main it holds other subs of), and `size` counts records held, not writes.
import { describe, expect, it } from 'vitest';
import { MemoryRevisionBackend } from './backend.ts';
import type { KeyValue } from '@halyard/kv-client/protocol';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const kvAt = (main: number, value: string): KeyValue => ({ key: b('a'), createRevision: main, modRevision: main, version: 1, value: b(value), lease: 0 });

describe('memory revision backend (etcd bbolt key bucket)', () => {
  it('a sub-revision not written, of a main revision that has others, reads as absent', () => {
    const backend = new MemoryRevisionBackend();
    backend.write({ main: 5, sub: 0 }, { key: b('a'), kv: kvAt(5, 'x') });
    expect(backend.read({ main: 5, sub: 0 })?.value).toEqual(b('x'));
    expect(backend.read({ main: 5, sub: 1 })).toBeUndefined();
    expect(backend.read({ main: 6, sub: 0 })).toBeUndefined();
  });

  it('removing a revision it does not hold, or one already removed, changes nothing', () => {
    const backend = new MemoryRevisionBackend();
    backend.write({ main: 5, sub: 0 }, { key: b('a'), kv: kvAt(5, 'x') });
    backend.write({ main: 5, sub: 1 }, { key: b('b'), kv: undefined });
    backend.remove([{ main: 9, sub: 0 }, { main: 5, sub: 2 }]);
    expect(backend.size).toBe(2);
    backend.remove([{ main: 5, sub: 0 }, { main: 5, sub: 0 }]);
    expect(backend.size).toBe(1);
    expect(backend.read({ main: 5, sub: 0 })).toBeUndefined();
    backend.remove([{ main: 5, sub: 1 }]);
    expect(backend.size).toBe(0);
    backend.remove([{ main: 5, sub: 1 }]);
    expect(backend.size).toBe(0);
  });

  it('writing a revision again replaces its record: size counts records held, not writes', () => {
    const backend = new MemoryRevisionBackend();
    backend.write({ main: 5, sub: 0 }, { key: b('a'), kv: kvAt(5, 'x') });
    backend.write({ main: 5, sub: 0 }, { key: b('a'), kv: kvAt(5, 'y') });
    expect(backend.size).toBe(1);
    expect(backend.read({ main: 5, sub: 0 })?.value).toEqual(b('y'));
  });
});
