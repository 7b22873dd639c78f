// The real `halyard` binary (main.ts through tsx) as a user runs it: wiring, stdin, exit codes, Ctrl-C.
import { spawn } from 'node:child_process';
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
function halyard(args: readonly string[], opts: { stdin?: string; interruptWhen?: (stdout: string) => boolean; onStarted?: () => void } = {}): Promise<Run> {
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
    expect((JSON.parse(got.stdout) as { kvs: { value: string }[] }).kvs[0]?.value).toBe(Buffer.from('hello').toString('base64'));
    const bad = await halyard(['kv', '--endpoints', eps, 'get', 'greeting', '--limit', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit must be an integer');
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
