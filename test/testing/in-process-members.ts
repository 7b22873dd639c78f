// In-process Halyard members on 127.0.0.1 for cross-package tests: the one place that starts a small
// cluster of real members (real Raft, storage in temporary folders, real sockets) inside the test process,
// and the one place that stops them, their clients and their folders after each test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { KvClient, type KvClientOptions } from '@halyard/kv-client';
import { type MemberFlags, type RunningMember, startMember } from '@halyard/kv/server';
import { silentLogger } from '@halyard/kv/transport';
import { freePorts, waitFor } from '../../packages/kv/src/server/test-util.testutil.ts';

/** Member flags a test may set on every member; names, folders, URLs and the initial cluster are the fixture's. */
export type MemberTuning = Omit<MemberFlags, 'name' | 'dataDir' | 'peerUrl' | 'clientUrl' | 'initialCluster'>;

/** A running cluster; everything in it is stopped and removed after the test that made it. */
export interface InProcessCluster {
  /** The members still running (a member stopped through `stopMember` leaves this list). */
  running: RunningMember[];
  /** A client the fixture closes after the test. */
  client(options: KvClientOptions): KvClient;
  /** The current leader; throws when there is none. */
  leader(): RunningMember;
  /** Waits (generously: a loaded 2-core machine) until some running member is leader. */
  waitForLeader(): Promise<RunningMember>;
  /** Stops one member for good, as a crash-free shutdown of that process would. */
  stopMember(member: RunningMember): Promise<void>;
}

const LEADER_DEADLINE_MS = 30_000;

/**
 * Registers the after-each clean-up for this test file and returns a function that starts `size` members
 * named m1…mN. Call it at the top level of a test file.
 */
export function inProcessMembers(folderPrefix: string): (size: number, tuning?: MemberTuning) => Promise<InProcessCluster> {
  let running: RunningMember[] = [];
  let clients: KvClient[] = [];
  let dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(running.map((r) => r.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    running = [];
    clients = [];
    dirs = [];
  });

  return async (size, tuning = {}) => {
    const ports = await freePorts(2 * size);
    const names = Array.from({ length: size }, (_, i) => `m${i + 1}`);
    const initialCluster = new Map(names.map((name, i) => [name, `http://127.0.0.1:${ports[2 * i]}`]));
    for (const [i, name] of names.entries()) {
      const dataDir = await mkdtemp(join(tmpdir(), `halyard-${folderPrefix}-`));
      dirs.push(dataDir);
      running.push(
        await startMember({ ...tuning, name, dataDir, peerUrl: initialCluster.get(name)!, clientUrl: `http://127.0.0.1:${ports[2 * i + 1]}`, initialCluster }, silentLogger),
      );
    }
    const leader = (): RunningMember => {
      const found = running.find((r) => r.member.isLeader());
      if (found === undefined) throw new Error('no member is leader');
      return found;
    };
    return {
      get running() {
        return running;
      },
      client(options) {
        const c = new KvClient(options);
        clients.push(c);
        return c;
      },
      leader,
      async waitForLeader() {
        await waitFor(() => running.some((r) => r.member.isLeader()), LEADER_DEADLINE_MS, 'a leader');
        return leader();
      },
      async stopMember(member) {
        await member.stop();
        running = running.filter((r) => r !== member);
      },
    };
  };
}
