// Label selector parsing and matching: every operator of the string form, and bad input as a 400.
import { describe, expect, it } from 'vitest';
import { ApiError } from './status.ts';
import { parseLabelSelector } from './label-selector.ts';

const labels = { app: 'web', tier: 'front', 'example.com/owner': 'me' };

describe('label selectors', () => {
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (db, web)', true],
    ['app notin (db,web)', false],
    ['missing notin (x)', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['example.com/owner=me,app=web', true],
    ['app=web, tier=back', false],
  ])('%j matches: %s', (sel, want) => {
    expect(parseLabelSelector(sel).matches(labels)).toBe(want);
  });
  it.each(['app in (', 'app >', '=web', 'a b', 'app=web,', 'bad key!=x', 'app=' + 'x'.repeat(64)])('%j is a 400', (sel) => {
    try {
      parseLabelSelector(sel);
      expect.fail('parsed');
    } catch (e) {
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).code).toBe(400);
    }
  });
});
