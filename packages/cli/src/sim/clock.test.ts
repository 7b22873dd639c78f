import { describe, expect, it } from 'vitest';
import { EventQueue } from './clock.ts';

describe('EventQueue', () => {
  it('pops by time, then by scheduling order for simultaneous events', () => {
    const q = new EventQueue<string>();
    q.schedule(5, 'b');
    q.schedule(1, 'a');
    q.schedule(5, 'c');
    q.schedule(3, 'x');
    const out: string[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(`${e.timeMs}${e.event}`);
    expect(out).toEqual(['1a', '3x', '5b', '5c']);
    expect(q.nowMs).toBe(5);
  });

  it('refuses to schedule in the past', () => {
    const q = new EventQueue<number>();
    q.schedule(10, 1);
    q.pop();
    expect(() => q.schedule(9, 2)).toThrow(RangeError);
  });
});
