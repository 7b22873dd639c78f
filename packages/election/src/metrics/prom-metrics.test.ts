import * as prom from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LeaderElector } from '../elector/leader-elector.ts';
import { KvLeaseLock } from '../kv/kv-lease-lock.ts';
import { simSetup } from '../testing/sim-election.ts';
import { SimProcess } from '../testing/sim-world.ts';
import { promElectionMetrics } from './prom-metrics.ts';

describe('promElectionMetrics', () => {
  it('reports leadership, holder changes and renewals of a real elector run', async () => {
    const registry = new prom.Registry();
    const metrics = promElectionMetrics(prom, { registry });
    const { world, sim } = simSetup({ reCampaign: false });
    const a = sim.start('a');
    await world.runUntilTrue(() => a.leading !== undefined, 1_000);
    // A second elector with metrics, watching a lead and then taking over.
    const proc = new SimProcess(world, 'b', 1);
    const b = new LeaderElector({ lock: new KvLeaseLock({ kv: sim.store.kvFor(proc), name: sim.electionName }), identity: 'b', clock: proc, name: 'sim', metrics, callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} } });
    void b.run();
    await world.runUntil(10_000);
    expect(await registry.getSingleMetricAsString('halyard_election_is_leader')).toContain('halyard_election_is_leader{name="sim"} 0');
    sim.crash(a.identity);
    await world.runUntil(60_000);
    const text = await registry.metrics();
    expect(text).toContain('halyard_election_is_leader{name="sim"} 1');
    expect(text).toContain('halyard_election_holder_changes_total{name="sim"} 2');
    expect(text).toMatch(/halyard_election_renew_duration_seconds_count\{name="sim",outcome="success"\} [1-9]/);
  });
});
