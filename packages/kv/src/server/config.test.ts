// A member's own id: derived from its flags, or given (--member-id) when it joins under an id `member add` chose.
import { describe, expect, it } from 'vitest';
import { type MemberConfig, clusterIds, validateConfig } from './config.ts';
import { memberIdOf } from './ids.ts';
import { memberConfig } from './index.ts';

const initialCluster = new Map([
  ['m1', 'http://127.0.0.1:12380'],
  ['m4', 'http://127.0.0.1:42380'],
]);
const base = (extra: Partial<MemberConfig> = {}): MemberConfig =>
  memberConfig({ name: 'm4', dataDir: '/tmp/unused', peerUrl: 'http://127.0.0.1:42380', clientUrl: 'http://127.0.0.1:42379', initialCluster, ...extra });

describe('member ids from the configuration', () => {
  it('without --member-id the id derives from token, name and peer URL', () => {
    expect(clusterIds(base()).memberId).toBe(memberIdOf('m4', ['http://127.0.0.1:42380'], base().clusterToken));
  });

  it('--member-id names this member, also in its view of the initial cluster', () => {
    const ids = clusterIds(base({ initialClusterState: 'existing', memberId: 0xabc }));
    expect(ids.memberId).toBe(0xabc);
    expect(ids.initialMembers.get(0xabc)).toEqual({ name: 'm4', peerUrl: 'http://127.0.0.1:42380' });
    expect([...ids.initialMembers.keys()]).toContain(memberIdOf('m1', ['http://127.0.0.1:12380'], base().clusterToken));
  });

  it('refuses --member-id when bootstrapping a new cluster, or out of range', () => {
    expect(() => validateConfig(base({ memberId: 0xabc }))).toThrow(/initial-cluster-state existing/);
    expect(() => validateConfig(base({ initialClusterState: 'existing', memberId: 2 ** 48 }))).toThrow(/--member-id/);
    expect(() => validateConfig(base({ initialClusterState: 'existing', memberId: 0xabc }))).not.toThrow();
  });
});
