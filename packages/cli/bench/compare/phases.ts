// Which parts of `pnpm bench` to run (`--phases`): the whole run at 1,000,000 keys takes longer than the
// load, restart and RSS figures need, so those can be measured alone.

export const PHASES = ['latency', 'load', 'restart', 'failover'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * `latency` = put and linearizable get at 1 and 64 in flight; `load` = the keyed load with its per-tenth
 * rates and the members' RSS after it; `restart` = all members stopped and started from disk, to the first
 * read; `failover` = kill -9 of the leader, `--trials` times. Undefined = every phase.
 */
export function parsePhases(flag: string | undefined): ReadonlySet<Phase> {
  if (flag === undefined) return new Set(PHASES);
  const wanted = flag.split(',').map((p) => p.trim());
  const unknown = wanted.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length > 0 || wanted.length === 0) throw new Error(`--phases takes a comma-separated list of ${PHASES.join(', ')}; got ${JSON.stringify(flag)}`);
  return new Set(wanted as Phase[]);
}
