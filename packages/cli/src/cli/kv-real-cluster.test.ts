// `halyard kv` commands against three real in-process members: status columns from a real Raft, health,
// member list, and a write from a follower endpoint.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RealMembers } from '../../../../test/kv-client/testing/real-members.ts';
import { runCli } from './kv-cli.testutil.ts';

let members: RealMembers;

beforeEach(async () => {
  members = await RealMembers.start(3);
});

afterEach(async () => {
  await members.close();
});

describe('halyard kv against real members', () => {
  it('puts through a follower endpoint, reads back, and reports status, health and members', async () => {
    const leader = members.leaderIndex() as number;
    const follower = members.urls[(leader + 1) % 3] as string;
    const eps = [follower, ...members.urls.filter((u) => u !== follower)].join(',');
    expect(await runCli(['--endpoints', eps, 'put', 'a', 'b'])).toMatchObject({ code: 0, stdout: 'OK\n', stderr: '' });
    expect((await runCli(['--endpoints', follower, 'get', 'a', '--consistency', 's'])).stdout).toMatch(/^(a\nb\n)?$/);
    expect((await runCli(['--endpoints', eps, 'get', 'a'])).stdout).toBe('a\nb\n');

    const status = await runCli(['--endpoints', members.urls.join(','), 'endpoint', 'status']);
    expect(status.code).toBe(0);
    const rows = status.stdout.split('\n').filter((l) => l !== '').map((l) => l.split(', '));
    expect(rows).toHaveLength(3);
    expect(rows.filter((r) => r[4] === 'true')).toHaveLength(1);
    for (const r of rows) {
      expect(r[1]).toMatch(/^[0-9a-f]+$/);
      expect(Number(r[6])).toBeGreaterThanOrEqual(1);
      expect(Number(r[7])).toBeGreaterThanOrEqual(Number(r[8]));
    }

    const health = await runCli(['--endpoints', members.urls.join(','), 'endpoint', 'health']);
    expect(health.code).toBe(0);
    expect(health.stdout.match(/is healthy/g)).toHaveLength(3);

    const list = await runCli(['--endpoints', eps, 'member', 'list', '-w', 'table']);
    expect(list.code).toBe(0);
    for (const name of ['m1', 'm2', 'm3']) expect(list.stdout).toMatch(new RegExp(`\\|\\s+${name} \\|`));
    const cluster = await runCli(['--endpoints', follower, 'endpoint', 'status', '--cluster']);
    expect(cluster.stdout.trim().split('\n')).toHaveLength(3);
  });
});
