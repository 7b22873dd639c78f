// Integer flags of the benchmark scripts, checked: a bad value is an error naming the flag and its range.

/** `v` as an integer in min..max, `dflt` when absent; throws naming the flag otherwise. */
export function intFlag(name: string, v: string | undefined, dflt: number, range: { readonly min: number; readonly max: number }): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) throw new Error(`--${name} must be an integer in ${range.min}..${range.max}, got ${JSON.stringify(v)}`);
  return n;
}
