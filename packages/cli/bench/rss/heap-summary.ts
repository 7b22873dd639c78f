// Summarise a V8 heap snapshot (.heapsnapshot, as --heapsnapshot-signal writes it): self size and count per
// constructor/type, largest first — enough to see which objects a member's heap is made of without DevTools.
// Run: npx tsx packages/cli/bench/rss/heap-summary.ts FILE [--top 30]

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { intFlag } from '../int-flag.ts';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const { values, positionals } = parseArgs({ options: { top: { type: 'string' } }, allowPositionals: true });
const file = positionals[0];
if (file === undefined) throw new Error('usage: heap-summary.ts FILE [--top 30]');
const top = intFlag('top', values.top, 30, { min: 1, max: 1_000 });
const snap = JSON.parse(await readFile(file, 'utf8')) as HeapSnapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const width = fields.length;
const typeAt = fields.indexOf('type');
const nameAt = fields.indexOf('name');
const sizeAt = fields.indexOf('self_size');
const groups = new Map<string, { count: number; bytes: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = types[snap.nodes[i + typeAt]!]!;
  const name = type === 'object' || type === 'native' || type === 'closure' ? snap.strings[snap.nodes[i + nameAt]!]! : `(${type})`;
  const bytes = snap.nodes[i + sizeAt]!;
  total += bytes;
  const g = groups.get(name) ?? { count: 0, bytes: 0 };
  g.count++;
  g.bytes += bytes;
  groups.set(name, g);
}
process.stdout.write(`total self size ${(total / 2 ** 20).toFixed(1)} MB\n`);
for (const [name, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) {
  process.stdout.write(`${(g.bytes / 2 ** 20).toFixed(2).padStart(9)} MB ${String(g.count).padStart(9)}  ${name.slice(0, 80)}\n`);
}
