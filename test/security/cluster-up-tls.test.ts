// `halyard kv cluster up` with its defaults, as real processes: every port needs a certificate from the
// cluster's own CA, the printed command and the env file carry what a client needs, and a restart comes
// back with the same CA, token and data.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { waitFor } from '../../packages/kv/src/server/test-util.testutil.ts';
import { runCli } from '../../packages/cli/src/cli/kv-cli.testutil.ts';
import { readKvEnvFile } from '../../packages/cli/src/cluster/env-file.ts';
import { freeClusterPortBase } from '../../packages/cli/src/cluster/port-base.testutil.ts';

const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MAIN = fileURLToPath(new URL('../../packages/cli/src/cli/main.ts', import.meta.url));
/** Generous: three members start through tsx on a loaded two-core machine. */
const READY_DEADLINE_MS = 120_000;
const COMMAND_TIMEOUT_MS = 20_000;

interface Up {
  child: ChildProcess;
  out(): string;
  exited: Promise<number | null>;
}

function clusterUp(data: string, base: number): Up {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN, 'kv', 'cluster', 'up', '--data', data, '--client-port-base', String(base), '--tick-ms', '50', '--dashboard-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { child, out: () => text, exited };
}

/** Stops a cluster-up process we started (it stops its members) and waits for it. */
async function stop(up: Up | undefined): Promise<void> {
  if (up?.child.pid === undefined || up.child.exitCode !== null) return;
  process.kill(up.child.pid, 'SIGTERM');
  await up.exited;
}

/** What a TLS connection to a port gets when it presents no certificate: 'accepted' or the refusal. */
function rawTlsWithoutCert(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca });
    let secured = false;
    s.once('secureConnect', () => {
      secured = true;
      // A server that accepted us waits for the upgrade request; one that refused closes at once.
      s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    });
    s.once('data', () => {
      s.destroy();
      resolve('accepted');
    });
    s.once('error', (e: Error) => resolve(`refused: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    s.once('close', () => resolve(secured ? 'refused: closed after the handshake' : 'refused: closed'));
  });
}

describe('halyard kv cluster up, secure by default', () => {
  let dir = '';
  let up: Up | undefined;
  afterAll(async () => {
    await stop(up);
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('refuses clients and peers without a certificate, and restarts with the same certificates', async () => {
    dir = await mkdtemp(join(tmpdir(), 'halyard-secure-'));
    // The default data folder's layout, under a folder of our own: a bare `halyard kv` run there finds it.
    const data = join(dir, '.halyard', 'cluster');
    const base = await freeClusterPortBase();
    up = clusterUp(data, base);
    const first = up;
    await waitFor(() => /^ready: leader m\d/m.test(first.out()) || first.child.exitCode !== null, READY_DEADLINE_MS, `the ready line; output so far:\n${first.out()}`);
    expect(first.out()).toMatch(/^ready: leader m\d/m);

    // What is printed and written is what a client needs.
    const caFile = join(data, 'pki', 'kv', 'ca.crt');
    expect(first.out()).toContain(`--endpoints https://127.0.0.1:${base},`);
    expect(first.out()).toContain(`--cacert ${caFile} --cert `);
    const env = readKvEnvFile(join(data, 'halyard.env'));
    expect(env?.endpoints[0]).toBe(`https://127.0.0.1:${base}`);
    expect(env?.cacert).toBe(caFile);
    expect(statSync(env?.key as string).mode & 0o777).toBe(0o600);
    const token = readFileSync(join(data, 'cluster-token'), 'utf8').trim();
    expect(token).toMatch(/^halyard-[0-9a-f]{24}$/);
    const ca = readFileSync(caFile);

    // With the flags it prints, the CLI works.
    const flags = ['--endpoints', env!.endpoints.join(','), '--cacert', env!.cacert!, '--cert', env!.cert!, '--key', env!.key!, '--command-timeout', `${COMMAND_TIMEOUT_MS}ms`];
    const put = await runCli([...flags, 'put', 'hello', 'world']);
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    // And through the HALYARD_* variables (what `source halyard.env` sets).
    Object.assign(process.env, { HALYARD_ENDPOINTS: env!.endpoints.join(','), HALYARD_CACERT: env!.cacert, HALYARD_CERT: env!.cert, HALYARD_KEY: env!.key });
    try {
      const get = await runCli(['get', 'hello', '--print-value-only']);
      expect(get.stdout).toBe('world\n');
    } finally {
      for (const k of ['HALYARD_ENDPOINTS', 'HALYARD_CACERT', 'HALYARD_CERT', 'HALYARD_KEY']) delete process.env[k];
    }

    // No flags and no variables, from the folder the cluster was started in: the CLI reads its env file.
    const bare = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      // Run from another folder, tsx still needs the repo's tsconfig (workspace packages map to their sources).
      const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HALYARD_'))), TSX_TSCONFIG_PATH: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) };
      const c = spawn(process.execPath, ['--import', TSX_LOADER, MAIN, 'kv', 'get', 'hello', '--print-value-only'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      c.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(bare.stderr).toBe('');
    expect(bare.stdout).toBe('world\n');
    expect(bare.code).toBe(0);

    // A client with the CA but no certificate: refused at once, with the reason, exit 1.
    const t0 = performance.now();
    const anonymous = await runCli(['--endpoints', env!.endpoints.join(','), '--cacert', caFile, '--command-timeout', `${COMMAND_TIMEOUT_MS}ms`, 'put', 'x', 'y']);
    const elapsedMs = performance.now() - t0;
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/TLS to https:\/\/127\.0\.0\.1:\d+ failed: .*client certificate/);
    expect(anonymous.stderr).not.toMatch(/outcome is unknown/);
    expect(elapsedMs).toBeLessThan(COMMAND_TIMEOUT_MS / 2);

    // A peer without a certificate: its TLS connection to a peer port is refused before any Raft frame,
    // so it can neither join nor send Raft messages; plain ws:// to the peer port gets nothing either.
    const peerPort = base + 1;
    expect(await rawTlsWithoutCert(peerPort, ca)).toMatch(/^refused/);
    const outcome = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`wss://127.0.0.1:${peerPort}/`, { ca });
      ws.once('open', () => {
        ws.close();
        resolve('open');
      });
      ws.once('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
    const plainOutcome = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${peerPort}/`);
      ws.once('open', () => {
        ws.close();
        resolve('open');
      });
      ws.once('error', () => resolve('refused'));
    });
    expect(plainOutcome).toBe('refused');

    // Restart: same CA, same token, the data is there.
    await stop(first);
    up = clusterUp(data, base);
    const second = up;
    await waitFor(() => /^ready: leader m\d/m.test(second.out()) || second.child.exitCode !== null, READY_DEADLINE_MS, `the ready line after restart; output so far:\n${second.out()}`);
    expect(second.out()).toMatch(/^ready: leader m\d/m);
    expect(second.out()).toContain('certificates from');
    expect(readFileSync(caFile).equals(ca)).toBe(true);
    expect(readFileSync(join(data, 'cluster-token'), 'utf8').trim()).toBe(token);
    const again = await runCli([...flags, 'get', 'hello', '--print-value-only']);
    expect(again.stdout).toBe('world\n');
  }, 400_000);
});
