import { afterEach, describe, expect, it } from 'vitest';
import { DASHBOARD_SAMPLES_MAX, Dashboard, type MemberRow } from './dashboard.ts';
import { lineStyle, plotSvg } from './plot.ts';

const row = (name: string, applied: number): MemberRow => ({ name, endpoint: 'http://127.0.0.1:1', id: 'a', role: 'follower', term: 2, raftIndex: applied, appliedIndex: applied, revision: 1, dbSizeBytes: 10 });

let dash: Dashboard | undefined;
afterEach(async () => {
  await dash?.close();
  dash = undefined;
});

describe('status page', () => {
  it('serves the page and the recorded samples, keeping only the newest ones', async () => {
    dash = new Dashboard();
    for (let i = 0; i < DASHBOARD_SAMPLES_MAX + 5; i++) dash.record({ atMs: i, members: [row('m1', i)] });
    const url = await dash.listen('127.0.0.1', 0);
    const page = await (await fetch(url)).text();
    expect(page).toContain('<title>Halyard cluster</title>');
    const body = (await (await fetch(new URL('/status.json', url))).json()) as { samples: { atMs: number }[] };
    expect(body.samples.length).toBe(DASHBOARD_SAMPLES_MAX);
    expect(body.samples[0]!.atMs).toBe(5);
    expect((await fetch(new URL('/nope', url))).status).toBe(404);
    const plot = await fetch(new URL('/plot.svg', url));
    expect(plot.headers.get('content-type')).toBe('image/svg+xml');
    expect(await plot.text()).toContain('<polyline class="member" data-member="m1"');
  });

  it('draws members that overlap (same applied index all along) with distinct dashes and markers', () => {
    const samples = Array.from({ length: 60 }, (_, t) => ({ atMs: t * 1000, members: ['m1', 'm2', 'm3', 'm4', 'm5'].map((n) => row(n, 100 + t)) }));
    const svg = plotSvg(samples);
    const lines = [...svg.matchAll(/<polyline class="member" data-member="(m\d)"[^>]*stroke="([^"]+)" stroke-dasharray="([^"]*)" points="([^"]+)"/g)];
    expect(lines.map((l) => l[1])).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    // The same points for everyone (they overlap) …
    expect(new Set(lines.map((l) => l[4])).size).toBe(1);
    // … told apart by dash pattern and by marker shape, each also distinct in colour.
    expect(new Set(lines.map((l) => l[3])).size).toBe(5);
    expect(new Set(lines.map((l) => l[2])).size).toBe(5);
    expect(new Set([0, 1, 2, 3, 4].map((i) => lineStyle(i).marker)).size).toBe(5);
    for (const shape of ['<circle class="marker"', '<rect class="marker"', '<polygon class="marker"', '<path class="marker"']) expect(svg).toContain(shape);
    // Markers are staggered: no two members put a marker at the same x.
    const markerXs = [...svg.matchAll(/<(?:circle|rect|polygon|path) class="marker"[^>]*?(?:cx="|x="|points="|d="M)([0-9.]+)/g)].map((m) => m[1]);
    const inPlot = markerXs.slice(0, markerXs.length - 5);
    expect(new Set(inPlot).size).toBe(inPlot.length);
    // The legend shows each member with its own dash and marker.
    expect([...svg.matchAll(/<g class="legend" data-member="(m\d)"><line[^>]*stroke-dasharray="([^"]*)"/g)].map((m) => [m[1], m[2]])).toEqual(lines.map((l) => [l[1], l[3]]));
  });
});
