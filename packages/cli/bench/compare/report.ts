// The side-by-side table: one row per figure, etcd and Halyard, and how many times better Halyard is.

export interface Row {
  readonly what: string;
  readonly etcd: number | string | undefined;
  readonly halyard: number | string | undefined;
  /** For numeric rows: whether a larger figure is better (throughput) or worse (latency, time). */
  readonly higherIsBetter?: boolean;
}

function cell(v: number | string | undefined): string {
  if (v === undefined) return '–';
  if (typeof v === 'string') return v;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** Halyard relative to etcd, oriented so that > 1× means Halyard is better. */
export function ratio(row: Row): string {
  if (typeof row.etcd !== 'number' || typeof row.halyard !== 'number' || row.higherIsBetter === undefined) return '';
  if (row.etcd === 0 || row.halyard === 0) return '';
  const r = row.higherIsBetter ? row.halyard / row.etcd : row.etcd / row.halyard;
  return `${r.toFixed(2)}×`;
}

export function renderTable(rows: readonly Row[]): string {
  const header = ['', 'etcd', 'Halyard', 'Halyard vs etcd'];
  const body = rows.map((r) => [r.what, cell(r.etcd), cell(r.halyard), ratio(r)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: readonly string[]): string => `| ${cols.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n');
}
