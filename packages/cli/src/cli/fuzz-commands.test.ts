// The fuzz commands' help names what the fuzzers accept (the definitions do not load the fuzzers, so the
// lists are written out there; this keeps them equal), and their values are checked once loaded.
import { describe, expect, it } from 'vitest';
import { PLANTED_BUGS } from '../fuzz/cluster-fuzz.ts';
import { NEMESIS_KINDS } from '../fuzz/nemesis.ts';
import { runHalyard } from './kv-cli.testutil.ts';
import { NEMESIS_HELP, PLANTED_BUGS_HELP } from './fuzz-commands.ts';

describe('fuzz command definitions', () => {
  it('list the nemesis kinds and planted bugs the fuzzers know', () => {
    expect(NEMESIS_HELP).toBe(NEMESIS_KINDS.join(','));
    expect(PLANTED_BUGS_HELP).toBe(PLANTED_BUGS.join(','));
  });

  it('refuse an unknown nemesis as a usage error', async () => {
    const r = await runHalyard(['fuzz', 'cluster', '--nemesis', 'kill,meteor', '--duration', '1s']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--nemesis: unknown nemesis meteor');
  });

  it('refuse a bad seed count before running anything', async () => {
    const r = await runHalyard(['fuzz', 'sim', '--seeds', '-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--seeds must be an integer ≥ 0');
  });
});
