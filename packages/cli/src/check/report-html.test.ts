import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check.ts';
import { renderHtml, writeHtmlReport } from './report-html.ts';
import { HistoryBuilder, get, got, put, wrote } from './testing.ts';

const staleRead = new HistoryBuilder()
  .op(0, 0, 10, put('x', 'a'), wrote(2))
  .op(0, 20, 30, put('x', 'b<&>'), wrote(3))
  .op(1, 40, 50, get('x'), got('a', 2, 3))
  .unknown(2, 5, put('y', 'c'))
  .build();

describe('renderHtml', () => {
  it('draws one lane per client and one bar per operation, the blocked one highlighted', () => {
    const html = renderHtml(staleRead, checkHistory(staleRead));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/class="lane"/g)).toHaveLength(3);
    expect(html.match(/class="op /g)).toHaveLength(4);
    expect(html).toMatch(/class="op get bad blocked[^"]*"[^>]*title="#2 client 1/);
    expect(html).toContain('NOT linearizable');
    expect(html).toContain('class="op put unknown');
  });

  it('escapes values so that a history cannot inject markup', () => {
    const html = renderHtml(staleRead, checkHistory(staleRead));
    expect(html).not.toContain('b<&>');
    expect(html).toContain('b&#60;&#38;&#62;');
  });

  it('is self-contained: no external scripts, styles or images', () => {
    const html = renderHtml(staleRead, checkHistory(staleRead));
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
  });

  it('renders a linearizable history without highlights', () => {
    const ok = staleRead.slice(0, 2);
    const html = renderHtml(ok, checkHistory(ok), { title: 'ok run' });
    expect(html).toContain('<title>ok run</title>');
    expect(html).not.toContain(' bad');
  });
});

describe('renderHtml for an undecided check', () => {
  it('says so and names the undecided components', () => {
    const b = new HistoryBuilder();
    for (let i = 0; i < 14; i++) b.unknown(i, 0, put('x', `v${i}`));
    for (let i = 0; i < 8; i++) b.op(100 + i, 0, 100, get('x'), got(`v${13 - i}`, 10 + i, 10 + i));
    b.op(200, 0, 100, get('x'), got('v0', 5, 30));
    const h = b.build();
    const html = renderHtml(h, checkHistory(h, { maxStates: 1000 }));
    expect(html).toContain('unknown: 1 component(s) undecided (state budget exhausted)');
    expect(html).toContain('undecided: keys x (23 ops): state budget exhausted');
  });
});

describe('writeHtmlReport', () => {
  it('writes the rendered page to a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'halyard-check-'));
    const path = join(dir, 'report.html');
    const result = checkHistory(staleRead);
    await writeHtmlReport(staleRead, result, path);
    expect(await readFile(path, 'utf8')).toBe(renderHtml(staleRead, result));
  });
});
