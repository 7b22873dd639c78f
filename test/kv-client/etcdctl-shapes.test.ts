// `halyard kv` prints what etcdctl prints: the same commands against a real etcd (etcdctl, from the Debian
// package etcd-client) and against a Halyard member (`halyard kv`), with `-w json` compared by shape —
// the same field names, in the same order, with values of the same JSON types, fields at zero left out
// alike — and `-w fields` by field names. Values differ (ids, revisions): shapes must not.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../packages/cli/src/cli/kv-cli.testutil.ts';
import { startEtcd, type EtcdProcess } from '../etcd-diff/etcd-process.ts';
import { RealMembers } from './testing/real-members.ts';

const ETCDCTL = process.env['HALYARD_ETCDCTL_BIN'] ?? '/usr/bin/etcdctl';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function etcdctl(endpoint: string, args: readonly string[], opts: { stdin?: string; stopWhen?: (out: string) => boolean } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(ETCDCTL, ['--endpoints', endpoint, ...args], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (opts.stopWhen?.(stdout) === true) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

async function halyard(endpoint: string, args: readonly string[], opts: { stdin?: string; stopWhen?: (out: string) => boolean } = {}): Promise<Run> {
  const interrupt = new AbortController();
  const r = await runCli(['--endpoints', endpoint, ...args], {
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
    interrupt: interrupt.signal,
    onStdout: (out) => {
      if (opts.stopWhen?.(out) === true) interrupt.abort();
    },
  });
  return r;
}

/** The JSON value with every leaf replaced by its type; objects keep their keys in order. */
function shape(v: unknown): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.map(shape);
  if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, shape(x)]);
  return typeof v;
}

const jsonShapes = (out: string): unknown[] =>
  out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{') || l.startsWith('['))
    .map((l) => shape(JSON.parse(l)));
const fieldNames = (out: string): string[] => out.split('\n').flatMap((l) => /^"([A-Za-z]+)" :/.exec(l)?.[1] ?? []);

let etcd: EtcdProcess;
let members: RealMembers;

beforeAll(async () => {
  [etcd, members] = await Promise.all([startEtcd(), RealMembers.start(1)]);
});

afterAll(async () => {
  await Promise.all([etcd?.stop(), members?.close()]);
});

/** Runs `args` on both, after the same `setup` commands, and returns both outputs. */
async function both(args: readonly string[], opts: { setup?: readonly (readonly string[])[]; stdin?: string; stopWhen?: (out: string) => boolean } = {}): Promise<{ etcd: Run; ours: Run }> {
  for (const s of opts.setup ?? []) {
    expect((await etcdctl(etcd.clientUrl, s)).code, `etcdctl ${s.join(' ')}`).toBe(0);
    expect((await halyard(members.urls[0] as string, s)).code, `halyard ${s.join(' ')}`).toBe(0);
  }
  const [e, o] = await Promise.all([etcdctl(etcd.clientUrl, args, opts), halyard(members.urls[0] as string, args, opts)]);
  return { etcd: e, ours: o };
}

describe('halyard kv -w json has etcdctl’s shapes', () => {
  const cases: [string, string[], { setup?: string[][]; stdin?: string }][] = [
    ['put', ['put', 'foo', 'bar', '-w', 'json'], {}],
    ['put --prev-kv', ['put', 'foo', 'baz', '--prev-kv', '-w', 'json'], {}],
    ['get', ['get', 'foo', '-w', 'json'], {}],
    ['get of nothing', ['get', 'nothing', '-w', 'json'], {}],
    ['get --prefix', ['get', 'fo', '--prefix', '-w', 'json'], { setup: [['put', 'fo1', 'x']] }],
    ['del --prev-kv', ['del', 'fo1', '--prev-kv', '-w', 'json'], {}],
    ['del of nothing', ['del', 'nothing', '-w', 'json'], {}],
    ['txn', ['txn', '-w', 'json'], { stdin: 'mod("foo") > "0"\n\nput foo x\nget foo\ndel nope\n\n\n' }],
    ['txn that fails', ['txn', '-w', 'json'], { stdin: 'mod("foo") = "0"\n\nput foo y\n\nput foo z --prev-kv\n\n' }],
    ['member list', ['member', 'list', '-w', 'json'], {}],
    ['endpoint health', ['endpoint', 'health', '-w', 'json'], {}],
  ];
  for (const [name, args, opts] of cases) {
    it(name, async () => {
      const r = await both(args, opts);
      expect(r.etcd.code, r.etcd.stderr).toBe(0);
      expect(r.ours.code, r.ours.stderr).toBe(0);
      expect(jsonShapes(r.ours.stdout)).toEqual(jsonShapes(r.etcd.stdout));
    });
  }

  it('endpoint status (etcd’s fields that a member has)', async () => {
    const r = await both(['endpoint', 'status', '-w', 'json']);
    expect(jsonShapes(r.ours.stdout)).toEqual(jsonShapes(r.etcd.stdout));
  });

  it('leases: grant, timetolive with keys, keep-alive, list, revoke, and an expired lease', async () => {
    const grant = await both(['lease', 'grant', '60', '-w', 'json']);
    expect(jsonShapes(grant.ours.stdout)).toEqual(jsonShapes(grant.etcd.stdout));
    // etcd's lease ids are above 2^53, which a JSON number cannot hold exactly: take the ids from simple output.
    const idOf = (out: string): string => /lease ([0-9a-f]+) granted/.exec(out)?.[1] ?? '';
    const etcdId = idOf((await etcdctl(etcd.clientUrl, ['lease', 'grant', '60'])).stdout);
    const ourId = idOf((await halyard(members.urls[0] as string, ['lease', 'grant', '60'])).stdout);
    const pair = async (args: (id: string) => string[]): Promise<void> => {
      const [e, o] = await Promise.all([etcdctl(etcd.clientUrl, args(etcdId)), halyard(members.urls[0] as string, args(ourId))]);
      expect(o.code, o.stderr).toBe(0);
      expect(jsonShapes(o.stdout), args('ID').join(' ')).toEqual(jsonShapes(e.stdout));
    };
    expect((await etcdctl(etcd.clientUrl, ['put', 'lk', 'v', '--lease', etcdId])).code).toBe(0);
    expect((await halyard(members.urls[0] as string, ['put', 'lk', 'v', '--lease', ourId])).code).toBe(0);
    await pair((id) => ['lease', 'timetolive', id, '--keys', '-w', 'json']);
    await pair((id) => ['lease', 'keep-alive', '--once', id, '-w', 'json']);
    await pair(() => ['lease', 'list', '-w', 'json']);
    await pair((id) => ['lease', 'revoke', id, '-w', 'json']);
    await pair((id) => ['lease', 'timetolive', id, '-w', 'json']);
  });

  it('watch: a put and a delete event, with prev_kv', async () => {
    // Every event of the key from the first revision on: the puts and the delete below (and any earlier ones).
    const eventCount = (out: string): number => out.split('\n').filter((l) => l.startsWith('{')).reduce((n, l) => n + ((JSON.parse(l) as { Events: unknown[] | null }).Events?.length ?? 0), 0);
    const r = await both(['watch', 'w', '--prev-kv', '--rev', '1', '-w', 'json'], { setup: [['put', 'w', 'a'], ['put', 'w', 'b'], ['del', 'w']], stopWhen: (out) => eventCount(out) >= 3 });
    const ours = jsonShapes(r.ours.stdout);
    const etcds = jsonShapes(r.etcd.stdout);
    expect(eventCount(r.ours.stdout)).toBeGreaterThanOrEqual(3);
    expect(eventCount(r.etcd.stdout)).toBeGreaterThanOrEqual(3);
    // Either side may batch the events of several revisions into one response: compare every event's shape, and the responses' own fields.
    const events = (out: string): unknown[] => out.trim().split('\n').filter((l) => l.startsWith('{')).flatMap((l) => ((JSON.parse(l) as { Events: unknown[] }).Events ?? []).map(shape));
    expect(events(r.ours.stdout)).toEqual(events(r.etcd.stdout));
    const withoutEvents = (s: unknown[]): unknown[] => s.map((x) => (x as [string, unknown][]).filter(([k]) => k !== 'Events'));
    expect(withoutEvents(ours).slice(0, 1)).toEqual(withoutEvents(etcds).slice(0, 1));
  });
});

describe('halyard kv -w fields has etcdctl’s field names', () => {
  for (const args of [
    ['get', 'foo', '-w', 'fields'],
    ['put', 'foo', 'v', '--prev-kv', '-w', 'fields'],
    ['del', 'foo', '--prev-kv', '-w', 'fields'],
    ['member', 'list', '-w', 'fields'],
  ]) {
    it(args.slice(0, 2).join(' '), async () => {
      const r = await both(args, { setup: [['put', 'foo', 'bar']] });
      expect(fieldNames(r.ours.stdout)).toEqual(fieldNames(r.etcd.stdout));
    });
  }
});

describe('halyard kv refuses what etcdctl refuses, with its words', () => {
  it('txn -w table', async () => {
    const r = await both(['txn', '-w', 'table'], { stdin: '\nput t v\n\n\n' });
    expect(r.etcd.code).not.toBe(0);
    expect(r.ours.code).toBe(2);
    expect(r.ours.stderr).toBe(r.etcd.stderr);
  });

  it('put without a value and an empty stdin', async () => {
    const r = await both(['put', 'k'], { stdin: '' });
    expect(r.etcd.code).not.toBe(0);
    expect(r.ours.code).toBe(2);
    expect(r.ours.stderr).toBe(r.etcd.stderr);
  });
});
