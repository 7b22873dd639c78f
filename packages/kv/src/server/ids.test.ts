// Member ids: derived for an initial or first-time member, fresh for a re-added one (never reused).
import { describe, expect, it } from 'vitest';
import { MEMBER_ID_MAX, memberAddIdOf, memberIdOf } from './ids.ts';

const URLS = ['http://127.0.0.1:32380'];

describe('member add ids', () => {
  it('a first-time member gets the id it derives from its own flags', () => {
    expect(memberAddIdOf('m4', URLS, 'tok', () => false)).toBe(memberIdOf('m4', URLS, 'tok'));
  });

  it('a removed member re-added with the same name and URLs gets a new id, different at each add', () => {
    const removed = new Set([memberIdOf('m4', URLS, 'tok')]);
    let n = 0;
    const entropy = (): string => `add-${++n}`;
    const first = memberAddIdOf('m4', URLS, 'tok', (id) => removed.has(id), entropy);
    expect(removed.has(first)).toBe(false);
    removed.add(first);
    const second = memberAddIdOf('m4', URLS, 'tok', (id) => removed.has(id), entropy);
    expect(new Set([...removed, second]).size).toBe(3);
    for (const id of [first, second]) expect(Number.isSafeInteger(id) && id > 0 && id <= MEMBER_ID_MAX).toBe(true);
  });

  it('with the default entropy (time and random bytes) two re-adds differ', () => {
    const used = (id: number): boolean => id === memberIdOf('m4', URLS, 'tok');
    expect(memberAddIdOf('m4', URLS, 'tok', used)).not.toBe(memberAddIdOf('m4', URLS, 'tok', used));
  });

  it('a constant entropy source cannot loop forever', () => {
    const derived = memberIdOf('m4', URLS, 'tok');
    const stuck = memberAddIdOf('m4', URLS, 'tok', (id) => id === derived, () => 'same');
    expect(() => memberAddIdOf('m4', URLS, 'tok', (id) => id === derived || id === stuck, () => 'same')).toThrow(/no unused member id/);
  });
});
