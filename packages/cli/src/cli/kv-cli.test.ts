// The client commands end to end in-process: commander parsing, the real KvClient, the fake cluster,
// etcdctl-shaped output, and exit codes for bad input.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvClient } from '@halyard/kv-client';
import { FakeCluster } from '../../../../test/kv-client/testing/fake-cluster.ts';
import { runCli, type CliRun } from './kv-cli.testutil.ts';

let cluster: FakeCluster;
let eps: string;

beforeEach(async () => {
  cluster = await FakeCluster.start(3);
  eps = cluster.endpoints.join(',');
});

afterEach(async () => {
  await cluster.close();
});

const kv = (...args: string[]): Promise<CliRun> => runCli(['--endpoints', eps, ...args]);

describe('halyard kv put/get/del', () => {
  it('puts and gets like etcdctl', async () => {
    expect(await kv('put', 'foo', 'bar')).toMatchObject({ code: 0, stdout: 'OK\n', stderr: '' });
    expect((await kv('put', 'foo', 'baz', '--prev-kv')).stdout).toBe('OK\nfoo\nbar\n');
    await kv('put', 'fop', 'x');
    expect((await kv('get', 'foo')).stdout).toBe('foo\nbaz\n');
    expect((await kv('get', 'fo', '--prefix')).stdout).toBe('foo\nbaz\nfop\nx\n');
    expect((await kv('get', 'foo', 'foz')).stdout).toBe('foo\nbaz\nfop\nx\n');
    expect((await kv('get', 'fo', '--prefix', '--keys-only')).stdout).toBe('foo\n\nfop\n\n');
    expect((await kv('get', 'fo', '--prefix', '--count-only')).stdout).toBe('2\n');
    expect((await kv('get', 'fo', '--prefix', '--print-value-only', '--limit', '1')).stdout).toBe('baz\n');
    expect((await kv('get', 'fo', '--prefix', '--order', 'descend', '--sort-by', 'key')).stdout).toBe('fop\nx\nfoo\nbaz\n');
    expect((await kv('get', 'foo', '--rev', '2')).stdout).toBe('foo\nbar\n');
    expect((await kv('get', 'foo', '--consistency', 's')).stdout).toBe('foo\nbaz\n');
    expect((await kv('get', 'nothing')).stdout).toBe('');
    expect((await kv('get', '', '--prefix', '--keys-only')).stdout).toBe('foo\n\nfop\n\n');
    expect((await kv('get', '', '--from-key', '--count-only')).stdout).toBe('2\n');
  });

  it('reads the value from stdin when it is omitted, exactly as given', async () => {
    expect((await runCli(['--endpoints', eps, 'put', 'k'], { stdin: 'from stdin\n' })).code).toBe(0);
    // etcdctl keeps the newline too: `echo v | etcdctl put k` stores "v\n".
    expect((await kv('get', 'k', '--print-value-only')).stdout).toBe('from stdin\n\n');
  });

  it('prints json with base64 bytes and a table', async () => {
    await kv('put', 'a', '1');
    const json = JSON.parse((await kv('get', 'a', '-w', 'json')).stdout) as { kvs: { key: string; value: string }[]; count: number; header: { revision: number } };
    expect(json.kvs[0]).toMatchObject({ key: Buffer.from('a').toString('base64'), value: Buffer.from('1').toString('base64') });
    expect(json.header.revision).toBe(2);
    expect('type' in json).toBe(false);
    const table = (await kv('get', 'a', '-w', 'table')).stdout;
    expect(table).toContain('| KEY | VALUE | CREATE REVISION | MOD REVISION | VERSION | LEASE |');
    expect(table).toContain('|   a |     1 |               2 |            2 |       1 |       |');
  });

  it('deletes a prefix and prints the count and the previous key-values', async () => {
    await kv('put', 'd/1', 'a');
    await kv('put', 'd/2', 'b');
    expect((await kv('del', 'd/', '--prefix', '--prev-kv')).stdout).toBe('2\nd/1\na\nd/2\nb\n');
    expect((await kv('delete', 'missing')).stdout).toBe('0\n');
  });

  it('takes the endpoints from HALYARD_ENDPOINTS when the flag is absent', async () => {
    process.env.HALYARD_ENDPOINTS = eps;
    try {
      expect(await runCli(['put', 'env', 'yes'])).toMatchObject({ code: 0, stdout: 'OK\n', stderr: '' });
    } finally {
      delete process.env.HALYARD_ENDPOINTS;
    }
  });

  it('follows the leader when the first endpoint is a follower', async () => {
    cluster.leaderIndex = 2;
    expect((await kv('put', 'x', 'y')).code).toBe(0);
  });

  it('compacts', async () => {
    await kv('put', 'a', '1');
    await kv('put', 'a', '2');
    expect((await kv('compact', '2')).stdout).toBe('compacted revision 2\n');
    const old = await kv('get', 'a', '--rev', '1');
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/^Error: .*compacted.*\(Compacted\)\n$/);
  });
});

describe('halyard kv txn', () => {
  const input = ['mod("key1") > "0"', 'val("key1") = "v1"', '', 'put key1 "overwrote key1"', 'get key1', '', 'put key1 "created-key1"', 'put key2 "some extra key"', ''].join('\n');

  it("reads etcdctl's format from stdin and prints each response", async () => {
    const failure = await runCli(['--endpoints', eps, 'txn'], { stdin: input });
    expect(failure.stdout).toBe('FAILURE\n\nOK\n\nOK\n');
    const success = await runCli(['--endpoints', eps, 'txn'], { stdin: input.replace('"v1"', '"created-key1"') });
    expect(success.stdout).toBe('SUCCESS\n\nOK\n\nkey1\noverwrote key1\n');
  });

  it('reads --file and reports the bad line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'halyard-txn-'));
    try {
      const file = join(dir, 'txn.txt');
      await writeFile(file, '\nput a b\n');
      expect((await kv('txn', '--file', file)).stdout).toBe('SUCCESS\n\nOK\n');
      await writeFile(file, 'bogus("a") = "1"\n\nput a b\n');
      const bad = await kv('txn', '--file', file);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/txn line 1: unknown compare target "bogus"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('halyard kv watch', () => {
  it('prints events until interrupted, with prev-kv', async () => {
    const interrupt = new AbortController();
    const run = runCli(['--endpoints', eps, 'watch', 'w', '--prefix', '--prev-kv'], { interrupt: interrupt.signal });
    const client = new KvClient({ endpoints: cluster.endpoints });
    try {
      await waitFor(() => cluster.requests.some((r) => r.method === 'watchCreate'));
      await new Promise((r) => setTimeout(r, 20));
      await client.put('w1', 'a');
      await client.put('w1', 'b');
      await client.delete('w1');
      await waitFor(() => cluster.store.revision === 4);
      await new Promise((r) => setTimeout(r, 100));
      interrupt.abort();
      const result = await run;
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('PUT\nw1\na\nPUT\nw1\na\nw1\nb\nDELETE\nw1\nb\nw1\n\n');
    } finally {
      await client.close();
    }
  });

  it('replays from --rev and exits 1 with Compacted when that revision is gone', async () => {
    await kv('put', 'c', '1');
    await kv('put', 'c', '2');
    await kv('compact', '3');
    const result = await kv('watch', 'c', '--rev', '2');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/compacted/);
  });
});

describe('halyard kv lease', () => {
  it('grants, attaches, inspects, lists, keeps alive and revokes, printing hex ids', async () => {
    const id = '1d77aa9e38260f';
    expect((await kv('lease', 'grant', '60', '--id', id)).stdout).toBe('lease 001d77aa9e38260f granted with TTL(60s)\n');
    expect((await kv('put', 'leased', 'v', '--lease', id)).code).toBe(0);
    expect((await kv('lease', 'timetolive', '001d77aa9e38260f', '--keys')).stdout).toBe('lease 001d77aa9e38260f granted with TTL(60s), remaining(60s), attached keys([leased])\n');
    expect((await kv('lease', 'list')).stdout).toBe('found 1 leases\n001d77aa9e38260f\n');
    expect((await kv('lease', 'keep-alive', id, '--once')).stdout).toBe('lease 001d77aa9e38260f keepalived with TTL(60)\n');
    expect((await kv('lease', 'revoke', `0x${id}`)).stdout).toBe('lease 001d77aa9e38260f revoked\n');
    expect((await kv('lease', 'timetolive', id)).stdout).toBe('lease 001d77aa9e38260f already expired\n');
    expect((await kv('get', 'leased')).stdout).toBe('');
    const big = await kv('lease', 'revoke', '694d77aa9e38260f');
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/out of range/);
  });

  it('keep-alive streams renewals until interrupted, and fails once the lease is revoked', async () => {
    const grant = await kv('lease', 'grant', '1');
    const id = /lease ([0-9a-f]{16})/.exec(grant.stdout)?.[1] ?? '';
    const interrupt = new AbortController();
    const run = runCli(['--endpoints', eps, 'lease', 'keep-alive', id], { interrupt: interrupt.signal });
    await new Promise((r) => setTimeout(r, 500));
    interrupt.abort();
    const ok = await run;
    expect(ok.code).toBe(0);
    expect(ok.stdout.split('\n').filter((l) => l.includes('keepalived')).length).toBeGreaterThanOrEqual(2);

    const revoked = runCli(['--endpoints', eps, 'lease', 'keep-alive', id]);
    await new Promise((r) => setTimeout(r, 100));
    await kv('lease', 'revoke', id);
    const lost = await revoked;
    expect(lost.code).toBe(1);
    expect(lost.stderr).toContain(`lease ${id} expired or revoked`);
  });
});

describe('halyard kv member and endpoint', () => {
  it('lists members like etcdctl (simple and table) and adds, promotes, removes', async () => {
    const list = await kv('member', 'list');
    expect(list.stdout.split('\n')[0]).toBe(`${cluster.member(0).id.toString(16).padStart(16, '0')}, started, m0, http://127.0.0.1:23800, ${cluster.endpoints[0]}, false`);
    expect((await kv('member', 'list', '-w', 'table')).stdout).toContain('|        ID        | STATUS  | NAME |');
    const added = await kv('member', 'add', 'm3', '--peer-urls', 'http://127.0.0.1:23803', '--learner');
    const id = /Member ([0-9a-f]{16}) added as learner to cluster 000000001c2d3e4f/.exec(added.stdout)?.[1] ?? '';
    expect(id).not.toBe('');
    expect(added.stdout).toContain('--initial-cluster m0=http://127.0.0.1:23800,m1=http://127.0.0.1:23801,m2=http://127.0.0.1:23802,m3=http://127.0.0.1:23803 --initial-cluster-state existing');
    expect(added.stdout).toContain(`--initial-cluster-state existing --member-id ${id} `);
    expect((await kv('member', 'promote', id)).stdout).toBe(`Member ${id} promoted in cluster 000000001c2d3e4f\n`);
    expect((await kv('member', 'remove', id)).stdout).toBe(`Member ${id} removed from cluster 000000001c2d3e4f\n`);
    const gone = await kv('member', 'remove', id);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/MemberNotFound/);
  });

  it('lists run, list, add, remove and promote under `kv member`; `member run` needs its flags', async () => {
    const help = await runCli(['member', '--help']);
    expect(help.code).toBe(0);
    for (const sub of ['run', 'list', 'add', 'remove', 'promote']) expect(help.stdout).toMatch(new RegExp(`^  ${sub}\\b`, 'm'));
    const run = await runCli(['member', 'run', '--data-dir', '/nonexistent']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: required option '--name <name>' not specified");
    // `member list` does not ask for the runner's flags.
    expect((await kv('member', 'list')).code).toBe(0);
    // The old way (`kv member --name …`) is a usage error that says where running a member went.
    const old = await runCli(['member', '--name', 'x']);
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('a member runs with `halyard kv member run --name …`');
  });

  it('prints endpoint status for every endpoint', async () => {
    const simple = await kv('endpoint', 'status');
    const lines = simple.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`${cluster.endpoints[0]}, ${cluster.member(0).id.toString(16).padStart(16, '0')}, 3.5.0-fake, 20 kB, true, false, 2, 11, 11, `);
    expect(lines[1]).toContain(', false, false, 2,');
    const table = (await kv('endpoint', 'status', '-w', 'table')).stdout;
    expect(table).toMatch(/^\|\s+ENDPOINT\s+\|\s+ID\s+\|/m);
    expect(table).toContain('| RAFT APPLIED INDEX | ERRORS |');
    const json = JSON.parse((await kv('endpoint', 'status', '-w', 'json')).stdout) as { Endpoint: string; Status: { leader: number } }[];
    expect(json[2]?.Status.leader).toBe(cluster.member(0).id);
  });

  it('reports a dead endpoint in status and health with exit 1', async () => {
    await cluster.member(1).kill();
    const status = await kv('--command-timeout', '500ms', 'endpoint', 'status');
    expect(status.code).toBe(1);
    expect(status.stdout.trim().split('\n')).toHaveLength(2);
    expect(status.stderr).toContain(`Failed to get the status of endpoint ${cluster.endpoints[1]}`);
    const health = await kv('--command-timeout', '500ms', 'endpoint', 'health');
    expect(health.code).toBe(1);
    expect(health.stdout).toMatch(new RegExp(`${cluster.endpoints[0]} is healthy: took = [0-9.]+ms`));
    expect(health.stdout).toContain(`${cluster.endpoints[1]} is unhealthy`);
    expect(health.stderr).toBe('Error: unhealthy cluster\n');
  });

  it('says healthy for every member of a cluster with a leader', async () => {
    const health = await kv('endpoint', 'health', '-w', 'table');
    expect(health.code).toBe(0);
    expect(health.stdout.match(/\|\s+true \|/g)).toHaveLength(3);
    cluster.leaderIndex = undefined;
    expect((await kv('endpoint', 'health')).code).toBe(1);
  });
});

describe('exact bytes, formats and failing fast', () => {
  it('--hex reads \\x.. arguments as bytes and prints them back that way', async () => {
    expect((await kv('--hex', 'put', '\\x00\\x01\\x6b', '\\xff\\x00')).code).toBe(0);
    const json = JSON.parse((await kv('get', '\u0000\u0001k', '-w', 'json')).stdout) as { kvs: { key: string; value: string }[] };
    expect(json.kvs[0]).toMatchObject({ key: Buffer.from([0, 1, 0x6b]).toString('base64'), value: Buffer.from([0xff, 0]).toString('base64') });
    expect((await kv('--hex', 'get', '\\x00\\x01\\x6b')).stdout).toBe('\\x00\\x01\\x6b\n\\xff\\x00\n');
    // Without --hex the same argument is the text it is; so is an argument only partly in \x form.
    expect((await kv('get', '\\x00\\x01\\x6b', '--count-only')).stdout).toBe('0\n');
    expect((await kv('--hex', 'get', '\\x00\\x01k', '--count-only')).stdout).toBe('0\n');
  });

  it('refuses a missing value like etcdctl, before connecting', async () => {
    const r = await runCli(['--endpoints', eps, 'put', 'k'], { stdin: '' });
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'Error: put command needs 1 argument and input from stdin or 2 arguments\n' });
    expect(cluster.requests).toHaveLength(0);
    expect((await kv('put', 'k', 'v', '--ignore-value')).stderr).toBe("Error: put command needs only 1 argument when 'ignore-value' is set\n");
  });

  it('refuses the output formats etcdctl refuses before sending anything (txn -w table)', async () => {
    const r = await runCli(['--endpoints', eps, '-w', 'table', 'txn'], { stdin: '\nput a b\n' });
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'Error: table not supported as output format\n' });
    expect(cluster.requests.filter((q) => q.method === 'txn')).toHaveLength(0);
    expect((await kv('-w', 'fields', 'member', 'add', 'x', '--peer-urls', 'http://127.0.0.1:1')).stderr).toBe('Error: fields not supported as output format\n');
    expect((await kv('get', 'a', '-w', 'json', '--print-value-only')).stderr).toBe('Error: print-value-only is only for `--write-out=simple`\n');
  });

  it('prints -w fields like etcdctl for put, del and leases', async () => {
    const put = (await kv('put', 'f', 'v', '-w', 'fields')).stdout;
    expect(put).toBe(`"ClusterID" : ${0x1c2d3e4f}\n"MemberID" : ${cluster.member(0).id}\n"Revision" : 2\n"RaftTerm" : 2\n`);
    expect((await kv('member', 'list', '-w', 'fields')).stdout).toContain('"Revision" : 0\n');
    expect((await kv('del', 'f', '--prev-kv', '-w', 'fields')).stdout).toContain('"Deleted" : 1\n"PrevKey" : "f"\n');
    const grant = (await kv('lease', 'grant', '60', '--id', 'abc', '-w', 'fields')).stdout;
    expect(grant.endsWith(`"ID" : ${0xabc}\n"TTL" : 60\n`)).toBe(true);
    expect((await kv('--hex', 'lease', 'list', '-w', 'fields')).stdout.endsWith('"ID" : 0000000000000abc\n')).toBe(true);
    const ttl = JSON.parse((await kv('lease', 'timetolive', 'abc', '-w', 'json')).stdout) as Record<string, unknown>;
    expect(Object.keys(ttl)).toEqual(['cluster_id', 'member_id', 'revision', 'raft_term', 'id', 'ttl', 'granted-ttl', 'keys']);
    // An unknown lease is TTL −1, granted 0, as etcd answers it.
    expect(JSON.parse((await kv('lease', 'timetolive', 'def', '-w', 'json')).stdout)).toMatchObject({ id: 0xdef, ttl: -1, 'granted-ttl': 0, keys: null });
  });

  it('fails at once, without sending, on a value over --max-request-bytes', async () => {
    const r = await kv('--max-request-bytes', '1000', 'put', 'big', 'x'.repeat(2000));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: put request of \d+ bytes exceeds the request size limit of 1000 bytes .*\(TooLarge\)\n$/);
    expect(cluster.requests.filter((q) => q.method === 'put')).toHaveLength(0);
  });

  it('fails at once on an endpoint that is not a member (HTTP 404 on the upgrade)', async () => {
    const http = createServer((_req, res) => {
      res.writeHead(404);
      res.end('404 page not found');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const r = await runCli(['--endpoints', url, '--command-timeout', '60s', 'get', 'a']);
      expect(r).toMatchObject({ code: 1, stderr: `Error: ${url} is not a Halyard member: it answered the WebSocket upgrade with HTTP 404 Not Found (is this the member's client URL?) (Unavailable)\n` });
    } finally {
      http.close();
    }
  });

  it('honours --dial-timeout when an endpoint accepts TCP but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((s) => void sockets.add(s.on('error', () => {})));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const r = await runCli(['--endpoints', url, '--dial-timeout', '300ms', '--command-timeout', '60s', 'get', 'a']);
      expect(r).toMatchObject({ code: 1, stderr: `Error: no endpoint accepted a connection within 300 ms (${url} did not complete the WebSocket handshake) (Timeout)\n` });
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe('bad input', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown flag', ['get', 'a', '--bogus'], /unknown option '--bogus'/],
    ['missing key', ['get'], /missing required argument 'key'/],
    ['bad output format', ['-w', 'xml', 'get', 'a'], /--write-out must be simple, json, fields or table/],
    ['bad limit', ['get', 'a', '--limit', '-1'], /--limit must be an integer ≥ 0/],
    ['unit-less timeout', ['--command-timeout', '5', 'get', 'a'], /--command-timeout must be a duration/],
    ['range end and prefix', ['get', 'a', 'b', '--prefix'], /only one of RANGE_END, --prefix and --from-key/],
    ['bad lease id', ['put', 'a', 'b', '--lease', 'xyz'], /--lease must be a hexadecimal id/],
    ['bad member id', ['member', 'remove', '0'], /out of range/],
    ['bad compact revision', ['compact', 'abc'], /REV must be an integer/],
    ['bad ttl', ['lease', 'grant', '0'], /TTL must be an integer ≥ 1/],
    ['missing peer urls', ['member', 'add', 'x'], /required option '--peer-urls <urls>'/],
    ['bad consistency', ['get', 'a', '--consistency', 'x'], /--consistency must be l or s/],
    ['bad endpoint', ['--endpoints', 'ftp://h:1', 'get', 'a'], /must be http\(s\) or ws\(s\)/],
    ['extra argument', ['compact', '1', '2'], /too many arguments/],
    ['unknown lease subcommand', ['lease', 'bogus'], /unknown command 'bogus'/],
    ['missing endpoint subcommand', ['endpoint'], /Usage: halyard kv endpoint/],
  ];
  for (const [name, args, message] of cases) {
    it(`exits 2 on ${name}`, async () => {
      const result = await runCli(args.includes('--endpoints') ? args : ['--endpoints', eps, ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    });
  }

  it('exits 1 with the cause when no endpoint answers', async () => {
    await cluster.close();
    const result = await kv('--command-timeout', '400ms', 'get', 'a');
    expect(result.code).toBe(1);
    // The command waits for a connection no longer than its deadline (or --dial-timeout, if shorter).
    expect(result.stderr).toMatch(/^Error: no endpoint accepted a connection within 400 ms; last error: connection to .* lost: dial failed.*\(Timeout\)\n$/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
