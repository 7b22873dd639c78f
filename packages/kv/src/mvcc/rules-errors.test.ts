// Error rules that mutation testing of errors.ts (`pnpm mutate packages/kv/src/mvcc/errors.ts`,
// docs/testing.md) found no example test protecting: `isMvccError` is the one place the server, the CLI
// and the HTTP layer tell a client's mistake (mapped to a status) from a bug (a crash), so it must refuse
// everything that is not an MvccError of the code asked for; and the error names itself in logs.
import { describe, expect, it } from 'vitest';
import { isMvccError, MvccError } from './errors.ts';

describe('MvccError and isMvccError', () => {
  it('an MvccError names itself, its code and its message when printed (as in a log line)', () => {
    expect(String(new MvccError('Compacted', 'revision 3 is compacted'))).toBe('MvccError: Compacted: revision 3 is compacted');
  });

  it('isMvccError refuses errors of other classes and look-alike objects, with or without a code asked for', () => {
    const lookAlike = { code: 'Compacted', message: 'Compacted: revision 3 is compacted' };
    for (const err of [new Error('boom'), new TypeError('x is undefined'), lookAlike, undefined]) {
      expect(isMvccError(err)).toBe(false);
      expect(isMvccError(err, 'Compacted')).toBe(false);
    }
  });

  it('isMvccError with a code is true only for that code; without one, for any MvccError', () => {
    const err = new MvccError('EmptyKey', 'key is not provided');
    expect(isMvccError(err, 'EmptyKey')).toBe(true);
    expect(isMvccError(err, 'Compacted')).toBe(false);
    expect(isMvccError(err)).toBe(true);
  });
});
