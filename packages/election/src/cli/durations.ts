// Go-style durations as the Kubernetes flags take them (`--leader-elect-lease-duration=15s`): `500ms`,
// `2s`, `1.5s`, `1m`. A bare number is refused: its unit would be a guess.
import { InvalidArgumentError } from 'commander';

export function parseDurationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  if (m === null) throw new InvalidArgumentError(`${flag} must be a duration such as 15s or 500ms, got ${JSON.stringify(text)}`);
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
  if (!(ms > 0) || !Number.isFinite(ms)) throw new InvalidArgumentError(`${flag} must be positive`);
  return ms;
}

/** A commander argument parser for a duration flag. */
export function durationArg(flag: string): (value: string) => number {
  return (value) => parseDurationMs(value, flag);
}
