// The checks can fail: with each of the core's planted bugs switched on, the simulator must find a
// violation within a bounded number of seeds. Seeds are searched in order from 0, so the test is
// deterministic; the bound leaves room for small changes in the core or the simulator shifting which
// seed fails first.

import { describe, expect, it } from 'vitest';
import type { ViolationKind } from './invariants.ts';
import { runSimulation, type SimOptions, type SimResult } from './simulator.ts';

const FAULTS = 'partition,drop,dup,reorder,crash,pause,transfer';

async function firstFailure(base: Omit<SimOptions, 'seed'>, seedsMax: number, seedStart = 0): Promise<SimResult | undefined> {
  for (let seed = seedStart; seed < seedStart + seedsMax; seed++) {
    const r = await runSimulation({ ...base, seed });
    if (!r.ok) return r;
  }
  return undefined;
}

function describeFound(r: SimResult | undefined): string {
  if (r === undefined) return 'no violation found';
  return `seed=${r.seed} ${r.violations.map((v) => `${v.kind}: ${v.message}`).join('; ')}\nreplay: ${r.replayCommand}`;
}

describe('planted bugs are found', () => {
  it('voteWithoutLogCheck (§5.4.1): a leader without committed entries is elected', async () => {
    const r = await firstFailure({ ticks: 1000, faults: FAULTS, profile: 'aggressive', bugs: { voteWithoutLogCheck: true } }, 40);
    expect(r, describeFound(r)).toBeDefined();
    const kinds: ViolationKind[] = ['LeaderCompleteness', 'StateMachineSafety', 'LogMatching', 'CommittedLost', 'CommitRule'];
    expect(kinds, describeFound(r)).toContain(r!.violations[0]!.kind);
  });

  it('readIndexWithoutHeartbeat (thesis §6.4): a deposed leader serves a stale read', async () => {
    // The classic case is a leader frozen (GC pause, SIGSTOP) while the others elect a new one and
    // acknowledge writes; on waking it answers a buffered read before it hears of the new term. The clients
    // are real ones (they only learn outcomes from the member they asked), so the writes acknowledged
    // meanwhile come from clients that gave up on the frozen leader: with eight clients, pauses and a
    // calm-enough network find it in about one seed in two (seed 0 first).
    const r = await firstFailure({ ticks: 1500, clients: 8, faults: 'pause,reorder,drop,dup,transfer', bugs: { readIndexWithoutHeartbeat: true } }, 20);
    expect(r, describeFound(r)).toBeDefined();
    expect(r!.violations[0]!.kind, describeFound(r)).toBe('StaleRead');
  });

  it('commitPreviousTermEntries (figure 8): the commit rule check catches the mechanism at once', async () => {
    const r = await firstFailure({ ticks: 1000, faults: FAULTS, profile: 'aggressive', bugs: { commitPreviousTermEntries: true } }, 20);
    expect(r, describeFound(r)).toBeDefined();
    expect(r!.violations[0]!.kind, describeFound(r)).toBe('CommitRule');
  });

  it('commitPreviousTermEntries (figure 8): without that check, the lost committed entry is found too', async () => {
    const r = await firstFailure(
      { ticks: 1500, faults: FAULTS, profile: 'aggressive', bugs: { commitPreviousTermEntries: true }, disabledChecks: ['CommitRule'] },
      // Some seeds have the whole figure 8 sequence (three leaders, each cut off at the right moment);
      // the bound makes a miss unlikely even when changes shift which seeds those are. Seed 92 finds it
      // since the clients keep leases as etcd clients do (about 70 s for the search on the loaded machine,
      // hence the longer timeout).
      150,
    );
    expect(r, describeFound(r)).toBeDefined();
    const kinds: ViolationKind[] = ['LeaderCompleteness', 'StateMachineSafety', 'LogMatching', 'CommittedLost'];
    expect(kinds, describeFound(r)).toContain(r!.violations[0]!.kind);
  }, 300_000);

  it('restoreSnapshotDuringHandout (issue 7, bug 2): a configuration change re-applied over a newer snapshot', async () => {
    // A follower whose disk is slow is handed a committed addVoter(X) one entry per Ready; before its write
    // completes, the leader (which meanwhile removed X again, snapshotting after every entry) sends it a
    // snapshot. With the bug, advance() re-applies addVoter(X) over the snapshot's configuration: the member
    // counts a voter the cluster removed. The membership profile (one committed entry per Ready, bursts of
    // changes that add and then remove a member, slow disks, a snapshot after every entry) finds it at
    // seed 24; the bound leaves room for changes shifting which seed it is.
    const base = { ticks: 1000, faults: 'all', profile: 'membership', bugs: { restoreSnapshotDuringHandout: true } } as const;
    const r = await firstFailure(base, 150);
    expect(r, describeFound(r)).toBeDefined();
    expect(r!.violations[0]!.kind, describeFound(r)).toBe('ConfigurationAgreement');
    // The same seed without the bug is clean: the violation is the bug's.
    const clean = await runSimulation({ ...base, bugs: {}, seed: r!.seed });
    expect(clean.violations, describeFound(clean)).toEqual([]);
  });

  it('campaignWithUnappliedConfChanges (issue 7, bug 1): a leader elected under a stale configuration', async () => {
    // A member whose state machine lags (the applylag fault through the member's ApplyBackend seam: applied
    // batches settle late, as with a large batch or a disk-backed store, while the member keeps ticking)
    // holds committed configuration changes its core has not applied; with the bug it campaigns and counts
    // votes under the older configuration, whose majority need not overlap the one that commits under the
    // newer one. It is rare: seeds 0..799 of this search found it twice (202 and 526) when this was last
    // measured, so the budget starts at 200 to stay within CI time; a change that shifts seeds needs a new
    // window (docs/sim.md says how to find one).
    const base = { ticks: 1500, faults: 'all', profile: 'membership', bugs: { campaignWithUnappliedConfChanges: true } } as const;
    const r = await firstFailure(base, 10, 200);
    expect(r, describeFound(r)).toBeDefined();
    const kinds: ViolationKind[] = ['ConfigurationAgreement', 'StateMachineSafety', 'LeaderCompleteness', 'LogMatching', 'CommittedLost', 'ElectionSafety'];
    expect(kinds, describeFound(r)).toContain(r!.violations[0]!.kind);
    // The same seed without the bug is clean: the violation is the bug's.
    const clean = await runSimulation({ ...base, bugs: {}, seed: r!.seed });
    expect(clean.violations, describeFound(clean)).toEqual([]);
  });

  it('joinInFlightReadRound (thesis §6.4, issue 13): a read joins a read-index round already in flight', async () => {
    // The followerreads profile keeps a read-index round in flight on every member (background readers)
    // and reads a key through another member right after a write to it is acknowledged: with the bug,
    // that read joins a round whose index was fixed before the write committed, and returns the older
    // value. The stale read check would catch it first; it is switched off so the finding is the
    // linearizability checker's. Seed 0 finds it (seeds 0, 2, 3, 4 of 0..4 with all faults, too);
    // the default profile finds nothing in seeds 0..9 of the same search.
    const base = {
      ticks: 800,
      faults: 'drop,dup,reorder,pause',
      profile: 'followerreads',
      checkLinearizability: true,
      disabledChecks: ['StaleRead'],
      bugs: { joinInFlightReadRound: true },
    } as const;
    const r = await firstFailure(base, 5);
    expect(r, describeFound(r)).toBeDefined();
    expect(r!.violations[0]!.kind, describeFound(r)).toBe('Linearizability');
    // The same seed without the bug is clean: the violation is the bug's.
    const clean = await runSimulation({ ...base, bugs: {}, seed: r!.seed });
    expect(clean.violations, describeFound(clean)).toEqual([]);
  }, 60_000);
});
