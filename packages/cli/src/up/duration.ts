// Durations on the command line: `60s`, `1500ms`, `2m`, or a bare number of milliseconds.
import { InvalidArgumentError } from 'commander';

const UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Parses a duration into milliseconds; throws commander's InvalidArgumentError naming `flag`. */
export function parseDurationMs(flag: string, text: string, minMs = 1, maxMs = 24 * 3_600_000): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw new InvalidArgumentError(`${flag} must be a duration like 15s, 1500ms or 2m, got ${JSON.stringify(text)}`);
  const ms = Math.round(Number(m[1]) * UNITS_MS[m[2] ?? 'ms']!);
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) throw new InvalidArgumentError(`${flag} must be between ${minMs} ms and ${maxMs} ms, got ${text}`);
  return ms;
}

export function durationArg(flag: string, minMs?: number, maxMs?: number): (v: string) => number {
  return (v) => parseDurationMs(flag, v, minMs, maxMs);
}
