// Membership changes on a live cluster of real processes, with writers running throughout: a fourth
// member added (as a learner then promoted, or straight as a voter) joins with
// `--initial-cluster-state existing`, catches up to the leader's commit index and serves every write;
// then an original member is removed and stopped, and the cluster keeps writing and reading.

import { afterEach, describe, expect, it } from 'vitest';
import { KvError, type Member } from '@halyard/kv-client';
import { ClusterHarness, type Writers, checkAcked, readPrefix, startWriters, waitFor } from './harness.ts';

let h: ClusterHarness | undefined;

/** Acknowledged writes to wait for between steps, so every step happens under load. */
const ACKS_PER_STEP = 40;

async function moreAcks(w: Writers, what: string): Promise<void> {
  const target = w.ackedCount() + ACKS_PER_STEP;
  await waitFor(what, () => w.ackedCount() >= target);
}

/** Wait until `name` has applied everything the leader had committed when this was called. */
async function catchUp(harness: ClusterHarness, name: string, among: readonly string[]): Promise<void> {
  const leader = await harness.waitForLeader(among);
  const commit = (await harness.status(leader.name)).raftIndex;
  await harness.waitApplied(name, commit);
}

/** Every member in `names` serves every acknowledged write on a linearizable read of its own. */
async function expectAllData(harness: ClusterHarness, names: readonly string[], w: Writers): Promise<void> {
  for (const name of names) {
    // Only writes acknowledged before the read starts must be in it; the writers may still be running.
    const acked = w.acked.slice();
    const got = await readPrefix(harness.client([harness.url(name)]), 'mem');
    expect({ name, problems: checkAcked(acked, got) }).toEqual({ name, problems: [] });
  }
}

/**
 * Run a membership change until the member list shows its effect. Membership changes are not
 * deduplicated, so after a leader change mid-way (Timeout: outcome unknown) the list, not the error,
 * says whether it happened; `done` reads it. Returns the first call's answer when it was one.
 */
async function change<T>(harness: ClusterHarness, what: string, call: () => Promise<T>, done: (members: readonly Member[]) => boolean): Promise<T | undefined> {
  let answer: T | undefined;
  await waitFor(what, async () => {
    try {
      answer = await call();
      return true;
    } catch (e) {
      // Refused before proposing (a learner not yet in sync) or not known to have applied: look, retry.
      if (!(e instanceof KvError)) throw e;
      return done((await harness.admin.memberList()).members);
    }
  });
  return answer;
}

async function memberNames(harness: ClusterHarness, name: string): Promise<string[]> {
  const list = await harness.client([harness.url(name)]).memberList();
  return list.members.map((m) => `${m.name}${m.isLearner ? '(learner)' : ''}`).sort();
}

export function membershipTests(): void {
  describe('membership changes under writes', () => {
    afterEach(async (ctx) => {
      await h?.close(ctx.task.result?.state === 'fail');
      h = undefined;
    });

    it('adds a learner, promotes it once caught up, then removes a follower', async () => {
      h = await ClusterHarness.create({ size: 3 });
      await h.startAll();
      const original = h.cluster.members.map((m) => m.name);
      await h.waitForLeader(original);
      const writers = startWriters(h.client(original.map((n) => h!.url(n))), 'mem', 3);
      try {
        await moreAcks(writers, 'writes before the add');

        const spec = h.cluster.addSpec();
        const id = h.idOf(spec.name);
        const added = await change(h, `adding ${spec.name}`, () => h!.admin.memberAdd([spec.peerUrl], { isLearner: true, name: spec.name }), (ms) => ms.some((m) => m.id === id));
        if (added !== undefined) {
          expect(added.member).toMatchObject({ id, name: spec.name, isLearner: true, peerUrls: [spec.peerUrl] });
          expect(added.members).toHaveLength(4);
        }
        await h.start(spec.name, 'existing', h.cluster.initialCluster());
        const all = [...original, spec.name];
        await catchUp(h, spec.name, original);
        expect((await h.status(spec.name)).isLearner).toBe(true);

        // Promotion is refused until the learner is in sync; the writers keep the target moving, so retry.
        await change(h, `promotion of ${spec.name}`, () => h!.admin.memberPromote(id), (ms) => ms.some((m) => m.id === id && !m.isLearner));
        await waitFor(`${spec.name} to report itself a voter`, async () => !(await h!.status(spec.name)).isLearner);
        expect(await memberNames(h, spec.name)).toEqual(['m1', 'm2', 'm3', 'm4']);
        await moreAcks(writers, 'writes after the promotion');
        await catchUp(h, spec.name, all);
        await expectAllData(h, [spec.name], writers);

        // Remove a follower among the original members, then make sure its process is gone (it exits by
        // itself if it applied its own removal, which it may never receive).
        const leader = await h.waitForLeader(all);
        const removed = original.find((n) => n !== leader.name)!;
        const after = await change(h, `removing ${removed}`, () => h!.admin.memberRemove(h!.idOf(removed)), (ms) => !ms.some((m) => m.name === removed));
        if (after !== undefined) expect(after.members.map((m) => m.name).sort()).toEqual(all.filter((n) => n !== removed).sort());
        await h.killIfRunning(removed);
        const remaining = all.filter((n) => n !== removed);
        await h.waitForLeader(remaining, 'a leader after the removal');
        await moreAcks(writers, 'writes after the removal');
        for (const n of remaining) expect(await memberNames(h, n)).toEqual(remaining.slice().sort());
      } finally {
        await writers.stop();
      }
      const remaining = h.cluster.members.map((m) => m.name).filter((n) => h!.cluster.isRunning(n));
      expect(remaining).toHaveLength(3);
      await expectAllData(h, remaining, writers);
    });

    it('adds a voter directly, then removes the leader itself', async () => {
      h = await ClusterHarness.create({ size: 3 });
      await h.startAll();
      const original = h.cluster.members.map((m) => m.name);
      await h.waitForLeader(original);
      const writers = startWriters(h.client(original.map((n) => h!.url(n))), 'mem', 3);
      let removed: string | undefined;
      try {
        await moreAcks(writers, 'writes before the add');
        // A voter added before its process runs: 4 voters, quorum 3, so the cluster needs all three
        // originals until the new member is up (as in etcd, add a voter only when it is about to start).
        const spec = h.cluster.addSpec();
        const id = h.idOf(spec.name);
        const added = await change(h, `adding ${spec.name}`, () => h!.admin.memberAdd([spec.peerUrl], { name: spec.name }), (ms) => ms.some((m) => m.id === id));
        if (added !== undefined) expect(added.member).toMatchObject({ id, isLearner: false });
        await h.start(spec.name, 'existing', h.cluster.initialCluster());
        const all = [...original, spec.name];
        await catchUp(h, spec.name, all);
        await moreAcks(writers, 'writes with four voters');
        await expectAllData(h, [spec.name], writers);

        // Remove the leader: it must hand over (the remaining three elect one of themselves) and the
        // writes, which were going to it, continue through the new leader.
        const leader = await h.waitForLeader(all);
        const removedLeader = leader.name;
        removed = removedLeader;
        await change(h, `removing the leader ${removed}`, () => h!.admin.memberRemove(leader.id), (ms) => !ms.some((m) => m.id === leader.id));
        const remaining = all.filter((n) => n !== removed);
        const next = await h.waitForLeader(remaining, 'a leader among the members that remain');
        expect(next.name).not.toBe(removed);
        // The removed leader applied its own removal: like etcd's, it stops and its process exits.
        await waitFor(`${removedLeader} to exit after applying its removal`, () => !h!.cluster.isRunning(removedLeader));
        await moreAcks(writers, 'writes after removing the leader');
        for (const n of remaining) expect(await memberNames(h, n)).toEqual(remaining.slice().sort());
      } finally {
        await writers.stop();
      }
      const remaining = h.cluster.members.map((m) => m.name).filter((n) => n !== removed);
      expect(remaining).toHaveLength(3);
      await expectAllData(h, remaining, writers);
    });
  });
}
