// A boxed table like the one etcdctl prints with `-w table` (olekukonko/tablewriter as etcdctl sets it
// up: centred upper-case headers, right-aligned cells, `+---+` rules above and below the header and at
// the end).

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const line = (cells: readonly string[], align: (text: string, width: number) => string): string =>
    '|' + widths.map((w, i) => ` ${align(cells[i] ?? '', w)} `).join('|') + '|';
  const centre = (text: string, width: number): string => {
    const left = Math.floor((width - text.length) / 2);
    return ' '.repeat(left) + text + ' '.repeat(width - text.length - left);
  };
  const rightAlign = (text: string, width: number): string => ' '.repeat(width - text.length) + text;
  return [rule, line(headers.map((h) => h.toUpperCase()), centre), rule, ...rows.map((r) => line(r, rightAlign)), rule].join('\n') + '\n';
}
