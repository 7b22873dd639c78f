// etcdctl's maintenance commands against three real in-process members: endpoint hashkv, snapshot save /
// status / restore (into a new cluster that serves the same data), move-leader, defrag, and member add of
// a learner that never starts.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvClient, bytesToString } from '@halyard/kv-client';
import { type RunningMember, startMember } from '@halyard/kv/server';
import { silentLogger } from '@halyard/kv/transport';
import { RealMembers } from '../../../../test/kv-client/testing/real-members.ts';
import { freePorts, waitFor } from '../../../kv/src/server/test-util.testutil.ts';
import { runCli } from './kv-cli.testutil.ts';

let members: RealMembers;
let eps: string;
let dir: string;
const extra: RunningMember[] = [];

beforeEach(async () => {
  members = await RealMembers.start(3);
  eps = members.urls.join(',');
  dir = await mkdtemp(join(tmpdir(), 'halyard-maint-'));
});

afterEach(async () => {
  await Promise.all(extra.splice(0).map((m) => m.stop()));
  await members.close();
  await rm(dir, { recursive: true, force: true });
});

const kv = (...args: string[]) => runCli(['--endpoints', eps, ...args]);

interface HashRow {
  readonly Endpoint: string;
  readonly HashKV: { header: { revision: number }; hash: number; compact_revision?: number; hash_revision: number };
}

/** `endpoint hashkv --rev rev -w json` once every member has applied `rev`. */
async function hashesAt(rev: number, urls = members.urls): Promise<HashRow[]> {
  let rows: HashRow[] = [];
  await waitFor(
    async () => {
      const r = await runCli(['--endpoints', urls.join(','), 'endpoint', 'hashkv', '--rev', String(rev), '-w', 'json']);
      if (r.code !== 0) return false;
      rows = JSON.parse(r.stdout) as HashRow[];
      return rows.length === urls.length;
    },
    30_000,
    `every member to hash revision ${rev}`,
  );
  return rows;
}

describe('endpoint hashkv', () => {
  it('gives the same hash on every member at a revision, and another hash at another state', async () => {
    for (let i = 0; i < 5; i++) expect((await kv('put', `h/${i}`, `v${i}`)).code).toBe(0);
    const rev = JSON.parse((await kv('get', 'h/4', '-w', 'json')).stdout).kvs[0].mod_revision as number;
    const rows = await hashesAt(rev);
    expect(new Set(rows.map((r) => r.HashKV.hash)).size).toBe(1);
    expect(rows.every((r) => r.HashKV.hash_revision === rev)).toBe(true);
    expect(rows.map((r) => r.Endpoint)).toEqual(members.urls);

    await kv('put', 'h/0', 'changed');
    const later = await hashesAt(rev + 1);
    expect(later[0]!.HashKV.hash).not.toBe(rows[0]!.HashKV.hash);
    // The past state still hashes the same.
    expect((await hashesAt(rev))[0]!.HashKV.hash).toBe(rows[0]!.HashKV.hash);

    const simple = await kv('endpoint', 'hashkv', '--rev', String(rev));
    expect(simple.stdout.trim().split('\n')).toEqual(members.urls.map((u) => `${u}, ${rows[0]!.HashKV.hash}`));
    const future = await kv('endpoint', 'hashkv', '--rev', '100000');
    expect(future.code).toBe(1);
    expect(future.stderr).toContain(`Failed to get the hash of endpoint ${members.urls[0]}`);
    expect(future.stderr).toContain('(FutureRevision)');
  });
});

describe('snapshot', () => {
  it('saves a member’s state, describes the file like hashkv does, and restores it into a new cluster', async () => {
    for (let i = 0; i < 10; i++) await kv('put', `s/${i}`, `value ${i}`);
    await kv('del', 's/9');
    const leader = members.urls[members.leaderIndex() as number] as string;
    const file = join(dir, 'backups', 'snap.db');
    const save = await runCli(['--endpoints', leader, 'snapshot', 'save', file]);
    expect(save.code).toBe(0);
    expect(save.stdout).toBe(`Snapshot saved at ${file}\n`);

    const status = JSON.parse((await runCli(['snapshot', 'status', file, '-w', 'json'])).stdout) as { hash: number; revision: number; totalKey: number; totalSize: number; version: string };
    expect(Object.keys(status)).toEqual(['hash', 'revision', 'totalKey', 'totalSize', 'version']);
    expect(status.totalKey).toBe(9);
    expect(status.totalSize).toBe((await readFile(file)).byteLength);
    // The file's hash is the members' hash at the snapshot's revision.
    expect((await hashesAt(status.revision))[0]!.HashKV.hash).toBe(status.hash);
    const table = await runCli(['snapshot', 'status', file, '-w', 'table']);
    expect(table.stdout).toContain('|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE | VERSION |');
    expect((await runCli(['snapshot', 'status', file])).stdout).toMatch(new RegExp(`^${status.hash.toString(16)}, ${status.revision}, 9, [0-9.]+ k?B, \\d+\\.\\d+\\.\\d+\\n$`));

    // Restore: three data directories of a new cluster, started with the same names and peer URLs.
    const ports = await freePorts(6);
    const names = ['r1', 'r2', 'r3'];
    const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[2 * i]}`).join(',');
    for (const n of names) {
      const r = await runCli(['snapshot', 'restore', file, '--name', n, '--data-dir', join(dir, n), '--initial-cluster', initialCluster, '--initial-cluster-token', 'restored']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`restored snapshot ${file} (revision ${status.revision}) into ${join(dir, n)}: member ${n}`);
    }
    const again = await runCli(['snapshot', 'restore', file, '--name', 'r1', '--data-dir', join(dir, 'r1'), '--initial-cluster', initialCluster]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already holds a member');
    const cluster = new Map(names.map((n, i) => [n, `http://127.0.0.1:${ports[2 * i]}`]));
    for (const [i, n] of names.entries()) {
      extra.push(await startMember({ name: n, dataDir: join(dir, n), peerUrl: cluster.get(n) as string, clientUrl: `http://127.0.0.1:${ports[2 * i + 1]}`, initialCluster: cluster, clusterToken: 'restored', tickMs: 20 }, silentLogger));
    }
    const restoredUrls = extra.map((m) => m.member.config.clientUrl);
    const client = new KvClient({ endpoints: restoredUrls, requestTimeoutMs: 20_000 });
    try {
      const got = await client.get('s/', { prefix: true });
      expect(got.kvs.map((k) => bytesToString(k.value))).toEqual(Array.from({ length: 9 }, (_, i) => `value ${i}`));
      const old = new KvClient({ endpoints: members.urls });
      try {
        const before = await old.get('s/', { prefix: true });
        // Revisions survive the restore, key by key.
        expect(got.kvs.map((k) => [k.createRevision, k.modRevision, k.version])).toEqual(before.kvs.map((k) => [k.createRevision, k.modRevision, k.version]));
      } finally {
        await old.close();
      }
      expect((await hashesAt(status.revision, restoredUrls)).every((r) => r.HashKV.hash === status.hash)).toBe(true);
      const list = await client.memberList();
      expect(list.members.map((m) => m.name).sort()).toEqual(names);
      await client.put('s/new', 'after restore');
    } finally {
      await client.close();
    }
  });

  it('saves from one endpoint only, and refuses a damaged file', async () => {
    const many = await kv('snapshot', 'save', join(dir, 'x.db'));
    expect(many).toMatchObject({ code: 2, stderr: 'Error: snapshot must be requested to one selected node, not multiple\n' });
    const file = join(dir, 'ok.db');
    expect((await runCli(['--endpoints', members.urls[0] as string, 'snapshot', 'save', file])).code).toBe(0);
    const bytes = await readFile(file);
    const middle = bytes.byteLength >> 1;
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
    await writeFile(join(dir, 'bad.db'), bytes);
    const bad = await runCli(['snapshot', 'status', join(dir, 'bad.db')]);
    expect(bad).toMatchObject({ code: 1, stderr: 'Error: snapshot file is damaged: its SHA-256 does not match its contents\n' });
    const missing = await runCli(['snapshot', 'status', join(dir, 'none.db')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read snapshot');
  });
});

describe('move-leader, defrag, member add', () => {
  it('moves leadership to the member asked for', async () => {
    const list = JSON.parse((await kv('member', 'list', '-w', 'json')).stdout) as { members: { ID: number; name: string }[] };
    const leaderIndex = members.leaderIndex() as number;
    const leaderName = `m${leaderIndex + 1}`;
    const target = list.members.find((m) => m.name !== leaderName)!;
    const leaderId = list.members.find((m) => m.name === leaderName)!.ID;
    const moved = await kv('move-leader', target.ID.toString(16));
    expect(moved).toMatchObject({ code: 0, stdout: `Leadership transferred from ${leaderId.toString(16).padStart(16, '0')} to ${target.ID.toString(16).padStart(16, '0')}\n` });
    await waitFor(() => members.leaderIndex() === Number(target.name.slice(1)) - 1, 10_000, 'the target to lead');
    const unknown = await kv('move-leader', '1234');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('Error: bad leader transferee: 1234 is not a voting member\n');
  });

  it('defrag says there is nothing to do on each member and exits 0', async () => {
    const r = await kv('defrag');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => l.replace(/\(.*\)/, '(…)'))).toEqual(members.urls.map((u) => `Nothing to defragment on member[${u}] (…): LevelDB compacts its files itself`));
  });

  it('shows a learner added but never started as unstarted, its id in 16 hex digits', async () => {
    const ports = await freePorts(1);
    const added = await kv('member', 'add', 'late', '--peer-urls', `http://127.0.0.1:${ports[0]}`, '--learner');
    expect(added.code, added.stderr).toBe(0);
    const id = /^Member ([0-9a-f]{16}) added as learner to cluster [0-9a-f]{16}$/m.exec(added.stdout)?.[1];
    expect(id).toBeDefined();
    const rows = (await kv('member', 'list')).stdout.trim().split('\n');
    expect(rows.find((r) => r.startsWith(`${id}, `))).toBe(`${id}, unstarted, late, http://127.0.0.1:${ports[0]}, , true`);
    expect(rows.filter((r) => r.includes(', started, '))).toHaveLength(3);
    for (const r of rows) expect(r).toMatch(/^[0-9a-f]{16}, /);
  });
});
