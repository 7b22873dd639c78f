// Helpers shared by the simulator's tests: seed counts from the environment and failure messages
// that always carry the seed and the command replaying it.

import type { SimResult } from './simulator.ts';

/** HALYARD_SIM_SEEDS raises (or lowers) how many seeds a property test tries; CI keeps the default. */
export function seedCount(defaultCount: number): number {
  const raw = process.env['HALYARD_SIM_SEEDS'];
  if (raw === undefined || raw === '') return defaultCount;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`HALYARD_SIM_SEEDS must be a positive integer, got "${raw}"`);
  return n;
}

export function failureReport(r: SimResult): string {
  return [
    `seed=${r.seed}: ${r.violations.length} violation(s)`,
    ...r.violations.map((v) => `  ${v.kind} at ${v.timeMs}ms${v.nodeId !== undefined ? ` on n${v.nodeId}` : ''}: ${v.message}`),
    'last events:',
    ...r.lastEvents.map((e) => `  ${e}`),
    `replay: ${r.replayCommand}`,
  ].join('\n');
}
