// The status page's plot of each member's applied index over time, drawn here as SVG. Members in step
// draw the same line — the normal case — so colour alone would leave only the top one visible: each
// member also has its own dash pattern and marker shape, with markers at staggered points, and the legend
// shows all three, so lines on top of each other stay readable.
import type { DashboardSample } from './dashboard.ts';

export interface LineStyle {
  readonly color: string;
  /** SVG stroke-dasharray ('' = solid). */
  readonly dash: string;
  readonly marker: 'circle' | 'square' | 'triangle' | 'diamond' | 'cross';
}

const COLORS = ['#2563eb', '#d97706', '#059669', '#9333ea', '#dc2626', '#0891b2', '#65a30d', '#db2777', '#475569'];
const DASHES = ['', '8 4', '2 3', '10 3 2 3', '5 5'];
const MARKERS: readonly LineStyle['marker'][] = ['circle', 'square', 'triangle', 'diamond', 'cross'];

/** Member i's style; distinct for every i below 45 (colours × dash patterns, markers cycling as dashes). */
export function lineStyle(i: number): LineStyle {
  return { color: COLORS[i % COLORS.length] as string, dash: DASHES[Math.floor(i / COLORS.length + i) % DASHES.length] as string, marker: MARKERS[i % MARKERS.length] as LineStyle['marker'] };
}

/** Markers per line: enough to tell lines apart, few enough not to clutter. */
const MARKERS_PER_LINE = 10;
const W = 720;
const H = 240;
const PAD = 36;
const LEGEND_H = 22;

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

function markerSvg(style: LineStyle, x: number, y: number): string {
  const s = 4;
  const paint = `fill="${style.color}" stroke="${style.color}"`;
  switch (style.marker) {
    case 'circle':
      return `<circle class="marker" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${s}" ${paint}/>`;
    case 'square':
      return `<rect class="marker" x="${(x - s).toFixed(1)}" y="${(y - s).toFixed(1)}" width="${2 * s}" height="${2 * s}" ${paint}/>`;
    case 'triangle':
      return `<polygon class="marker" points="${x.toFixed(1)},${(y - s - 1).toFixed(1)} ${(x + s + 1).toFixed(1)},${(y + s).toFixed(1)} ${(x - s - 1).toFixed(1)},${(y + s).toFixed(1)}" ${paint}/>`;
    case 'diamond':
      return `<polygon class="marker" points="${x.toFixed(1)},${(y - s - 1).toFixed(1)} ${(x + s + 1).toFixed(1)},${y.toFixed(1)} ${x.toFixed(1)},${(y + s + 1).toFixed(1)} ${(x - s - 1).toFixed(1)},${y.toFixed(1)}" ${paint}/>`;
    case 'cross':
      return `<path class="marker" d="M${(x - s).toFixed(1)},${(y - s).toFixed(1)}L${(x + s).toFixed(1)},${(y + s).toFixed(1)}M${(x + s).toFixed(1)},${(y - s).toFixed(1)}L${(x - s).toFixed(1)},${(y + s).toFixed(1)}" stroke="${style.color}" stroke-width="2" fill="none"/>`;
  }
}

/** The plot of `samples` (oldest first): one styled polyline per member, markers, axes and a legend. */
export function plotSvg(samples: readonly DashboardSample[]): string {
  const last = samples[samples.length - 1];
  const names = last?.members.map((m) => m.name) ?? [];
  let min = Infinity;
  let max = -Infinity;
  for (const s of samples) for (const m of s.members) if (m.appliedIndex !== null) ((min = Math.min(min, m.appliedIndex)), (max = Math.max(max, m.appliedIndex)));
  if (!Number.isFinite(min)) ((min = 0), (max = 1));
  if (max === min) max = min + 1;
  const t0 = samples[0]?.atMs ?? 0;
  const t1 = Math.max(last?.atMs ?? 1, t0 + 1);
  const plotBottom = H - PAD - LEGEND_H;
  const x = (t: number): number => PAD + ((W - 2 * PAD) * (t - t0)) / (t1 - t0);
  const y = (v: number): number => plotBottom - ((plotBottom - PAD) * (v - min)) / (max - min);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="applied index per member over time">`,
    `<line x1="${PAD}" y1="${plotBottom}" x2="${W - PAD}" y2="${plotBottom}" stroke="#999"/><line x1="${PAD}" y1="${PAD}" x2="${PAD}" y2="${plotBottom}" stroke="#999"/>`,
    `<text x="${PAD - 4}" y="${PAD + 4}" font-size="11" text-anchor="end">${max}</text><text x="${PAD - 4}" y="${plotBottom}" font-size="11" text-anchor="end">${min}</text>`,
    `<text x="${W - PAD}" y="${plotBottom + 14}" font-size="11" text-anchor="end">now</text><text x="${PAD}" y="${plotBottom + 14}" font-size="11">${Math.round((t1 - t0) / 1000)} s ago</text>`,
  ];
  names.forEach((name, i) => {
    const style = lineStyle(i);
    const pts = samples.flatMap((s) => {
      const m = s.members.find((q) => q.name === name);
      return m !== undefined && m.appliedIndex !== null ? [[x(s.atMs), y(m.appliedIndex)] as const] : [];
    });
    if (pts.length === 0) return;
    out.push(`<polyline class="member" data-member="${esc(name)}" fill="none" stroke-width="2" stroke="${style.color}" stroke-dasharray="${style.dash}" points="${pts.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}"/>`);
    // Staggered: member i's markers sit between member i−1's, so markers on one line do not hide another's.
    const step = Math.max(1, Math.ceil(pts.length / MARKERS_PER_LINE));
    const phase = Math.floor((i * step) / Math.max(1, names.length));
    for (let k = phase % step; k < pts.length; k += step) out.push(markerSvg(style, pts[k]![0], pts[k]![1]));
  });
  names.forEach((name, i) => {
    const style = lineStyle(i);
    const lx = PAD + i * 110;
    const ly = H - LEGEND_H / 2;
    out.push(`<g class="legend" data-member="${esc(name)}"><line x1="${lx}" y1="${ly}" x2="${lx + 36}" y2="${ly}" stroke="${style.color}" stroke-width="2" stroke-dasharray="${style.dash}"/>${markerSvg(style, lx + 18, ly)}<text x="${lx + 42}" y="${ly + 4}" font-size="12">${esc(name)}</text></g>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
