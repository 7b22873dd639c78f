// The real `halyard` binary (main.ts through tsx) as a user runs it: wiring, stdin, exit codes, Ctrl-C.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvClient } from '@halyard/kv-client';
import { FakeCluster } from '../../../../test/kv-client/testing/fake-cluster.ts';

const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `halyard ...args`; `interruptWhen` sends SIGINT once stdout satisfies it. */
function halyard(args: readonly string[], opts: { stdin?: string | Uint8Array; interruptWhen?: (stdout: string) => boolean; onStarted?: () => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!interrupted && opts.interruptWhen?.(stdout) === true) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
    opts.onStarted?.();
  });
}

let cluster: FakeCluster;

beforeEach(async () => {
  cluster = await FakeCluster.start(3);
});

afterEach(async () => {
  await cluster.close();
});

describe('halyard kv (spawned)', () => {
  it('puts from stdin and gets as json; bad flags exit 2', async () => {
    const eps = cluster.endpoints.join(',');
    expect(await halyard(['kv', '--endpoints', eps, 'put', 'greeting'], { stdin: 'hello\n' })).toMatchObject({ code: 0, stdout: 'OK\n' });
    const got = await halyard(['kv', 'get', 'greeting', '--endpoints', eps, '-w', 'json']);
    expect(got.code).toBe(0);
    // Standard input is the value byte for byte, its newline included (as etcdctl stores it).
    expect((JSON.parse(got.stdout) as { kvs: { value: string }[] }).kvs[0]?.value).toBe(Buffer.from('hello\n').toString('base64'));
    const bad = await halyard(['kv', '--endpoints', eps, 'get', 'greeting', '--limit', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit must be an integer');
  });

  it('stores invalid UTF-8 from stdin as given and refuses an empty stdin like etcdctl', async () => {
    const eps = cluster.endpoints.join(',');
    const bytes = new Uint8Array([0xff, 0xfe, 0x00, 0x80, 0x0a]);
    expect(await halyard(['kv', '--endpoints', eps, 'put', 'bin'], { stdin: bytes })).toMatchObject({ code: 0, stdout: 'OK\n' });
    const got = await halyard(['kv', '--endpoints', eps, 'get', 'bin', '-w', 'json']);
    expect(Buffer.from((JSON.parse(got.stdout) as { kvs: { value: string }[] }).kvs[0]?.value ?? '', 'base64')).toEqual(Buffer.from(bytes));
    const hex = await halyard(['kv', '--endpoints', eps, '--hex', 'get', 'bin', '--print-value-only']);
    expect(hex.stdout).toBe('\\xff\\xfe\\x00\\x80\\x0a\n');
    const empty = await halyard(['kv', '--endpoints', eps, 'put', 'nothing'], { stdin: '' });
    expect(empty).toMatchObject({ code: 2, stdout: '', stderr: 'Error: put command needs 1 argument and input from stdin or 2 arguments\n' });
    expect(cluster.requests.some((r) => r.method === 'put' && Buffer.from((r.params as { key: Uint8Array }).key).toString() === 'nothing')).toBe(false);
  });

  it('exits 2 on usage errors at every level, printing the error once, and prints its version', async () => {
    for (const args of [['bogus'], ['kv', 'bogus'], ['kv', 'member', 'bogus'], ['--bogus'], ['kv', 'get']]) {
      const r = await halyard(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('error: ')), args.join(' ')).toHaveLength(1);
    }
    // A command group without its subcommand prints its help on stderr, as a usage error.
    const lease = await halyard(['kv', 'lease']);
    expect(lease.code).toBe(2);
    expect(lease.stderr).toContain('Usage: halyard kv lease');
    const failed = await halyard(['kv', '--endpoints', cluster.endpoints.join(','), 'lease', 'revoke', '1234']);
    expect(failed).toMatchObject({ code: 1, stdout: '' });
    expect(failed.stderr).toBe('Error: lease not found (LeaseNotFound)\n');
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await halyard(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect((await halyard(['kv', 'version'])).stdout).toBe(`halyard version: ${version}\nAPI version: ${version.split('.').slice(0, 2).join('.')}\n`);
  });

  it('watches until Ctrl-C and exits 0', async () => {
    const eps = cluster.endpoints.join(',');
    const client = new KvClient({ endpoints: cluster.endpoints });
    try {
      const writer = setInterval(() => void client.put('w', 'tick').catch(() => {}), 100);
      const run = await halyard(['kv', '--endpoints', eps, 'watch', 'w'], { interruptWhen: (out) => out.includes('tick\n') });
      clearInterval(writer);
      expect(run.code).toBe(0);
      expect(run.stdout.startsWith('PUT\nw\ntick\n')).toBe(true);
    } finally {
      await client.close();
    }
  });
});
