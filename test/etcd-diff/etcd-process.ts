// Starts a real, single-member etcd on loopback for the differential test: free ports, a temp data dir,
// readiness by polling /health against a deadline, and a stop that kills exactly the pid we started.
// The binary comes from the Debian package `etcd-server` (/usr/bin/etcd); HALYARD_ETCD_BIN overrides it.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const etcdBinDefault = '/usr/bin/etcd';
const readyDeadlineMs = 60_000;
const pollIntervalMs = 100;

export interface EtcdProcess {
  readonly clientUrl: string;
  readonly pid: number;
  /** Last lines etcd wrote, for failure messages. */
  readonly log: () => string;
  stop(): Promise<void>;
}

export function etcdBinary(): string {
  const bin = process.env['HALYARD_ETCD_BIN'] ?? etcdBinDefault;
  if (!existsSync(bin)) {
    throw new Error(
      `etcd binary not found at ${bin}. The differential test needs a real etcd: ` +
        `apt-get install -y etcd-server etcd-client (Debian package etcd-server provides /usr/bin/etcd), ` +
        `or set HALYARD_ETCD_BIN.`,
    );
  }
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** tmpfs when there is one: etcd fsyncs every write, and the test is about semantics, not durability. */
function dataDirParent(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

export async function startEtcd(): Promise<EtcdProcess> {
  const bin = etcdBinary();
  const dataDir = mkdtempSync(join(dataDirParent(), 'halyard-etcd-diff-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const name = 'diff';
  const child: ChildProcess = spawn(
    bin,
    [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${name}=${peerUrl}`,
      '--initial-cluster-state=new',
      '--max-txn-ops=128',
      '--auto-compaction-retention=0',
      '--logger=zap',
      '--log-level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${bin}`);
  const log = (): string => lines.slice(-30).join('\n');

  // Safety net: if the test process exits without afterAll (a crash, a timeout), take our etcd with it.
  const killOnExit = (): void => {
    if (exited === undefined) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (exited === undefined) {
      process.kill(pid, 'SIGKILL');
      await exitedPromise;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + readyDeadlineMs;
  for (;;) {
    if (exited !== undefined) {
      process.removeListener('exit', killOnExit);
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`etcd exited before becoming ready (${JSON.stringify(exited)}):\n${log()}`);
    }
    try {
      const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd not healthy after ${readyDeadlineMs} ms:\n${log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
  return { clientUrl, pid, log, stop };
}
