// A cluster of real member processes on loopback: what `halyard kv cluster up`, the real-process tests
// and `halyard fuzz cluster` run. Each member is a child process started from this same program; the
// cluster only ever signals the processes it started, by pid.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ADMIN_CLIENT, ensureKvClusterPki } from '../pki/index.ts';
import { ensureClusterToken } from './cluster-token.ts';

// Members run the same build as the process that starts them: the compiled `halyard` (dist/*.js) spawns
// compiled members with plain node; the sources (vitest, tsx in the repo) spawn the sources through tsx.
const COMPILED = import.meta.url.endsWith('.js');
const CLI_MAIN = resolve(fileURLToPath(new URL(COMPILED ? '../cli/main.js' : '../cli/main.ts', import.meta.url)));
const NODE_ARGS: readonly string[] = COMPILED ? [] : ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
/** The compiled CLI (`pnpm build`), for `build: 'compiled'` from the sources. */
const CLI_MAIN_COMPILED = resolve(fileURLToPath(new URL(COMPILED ? '../cli/main.js' : '../../dist/cli/main.js', import.meta.url)));

export interface LocalMemberSpec {
  readonly name: string;
  readonly peerUrl: string;
  readonly clientUrl: string;
  readonly dataDir: string;
}

export interface MemberPorts {
  readonly client: number;
  readonly peer: number;
}

export interface LocalClusterOptions {
  readonly size: number;
  readonly dataDir: string;
  /** Client port of member i is clientPortBase + i·portStride; its peer port is one more. */
  readonly clientPortBase?: number;
  readonly portStride?: number;
  /** Explicit ports per member (e.g. from a free-port probe); overrides clientPortBase for those members. */
  readonly ports?: readonly MemberPorts[];
  readonly host?: string;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly snapshotCount?: number;
  /**
   * The cluster token (the cluster id derives from it). Without one, a random token is made for a new
   * data folder and kept in `<dataDir>/cluster-token`, so a restart finds the same cluster (cluster-token.ts).
   */
  readonly clusterToken?: string;
  /**
   * Mutual TLS on every peer and client port, with a CA and certificates made (first start) or reused
   * under `<dataDir>/pki` — what `halyard kv cluster up` does by default, as kubeadm does for etcd. Off by
   * default for the programmatic API, whose tests exercise the store rather than its transport security.
   */
  readonly tls?: boolean;
  /**
   * Where member output goes: 'inherit' shows it, 'pipe' keeps the last lines for `logs()`, 'ignore'
   * drops it, 'file' appends it to `<member data dir>/member.log` (`logPath()`), keeping nothing in memory
   * and nothing tied to this process's pipes.
   */
  readonly stdio?: 'inherit' | 'pipe' | 'ignore' | 'file';
  /** Extra flags for every member. */
  readonly extraArgs?: readonly string[];
  /** Options for node itself in each member (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  readonly nodeArgs?: readonly string[];
  /**
   * Which build the members run: 'same' (default) as this process — the sources through tsx when this runs
   * from the sources; 'compiled' the compiled `dist/` (run `pnpm build` first), as a deployment runs it. A
   * benchmark beside etcd's binary uses 'compiled': through tsx a member spends seconds compiling its sources
   * at every start.
   */
  readonly build?: 'same' | 'compiled';
  /** How long a member may take to print its ready line before start() gives up and kills it. */
  readonly readyTimeoutMs?: number;
}

export const READY_TIMEOUT_MS_DEFAULT = 60_000;

/** Lines of output kept per member (a bound on memory for long runs). */
export const MEMBER_LOG_LINES_MAX = 2_000;

/** How often a member's log file is read for its ready line (stdio 'file'). */
const READY_POLL_MS = 50;
/** Tail of a log file that `logs()` reads (stdio 'file'). */
const LOG_TAIL_BYTES = 64 * 1024;

/** The CA to trust and the admin client certificate of a TLS cluster, as files. */
export interface ClientTlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface Prepared {
  readonly token: string;
  /** `kv member run` TLS flags by member name (empty without TLS). */
  readonly memberTls: ReadonlyMap<string, readonly string[]>;
  readonly client?: ClientTlsFiles;
  /** Certificates written by this preparation (first start or re-issued). */
  readonly issued?: readonly string[];
}

interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
  log: string[];
}

export class LocalCluster {
  readonly members: LocalMemberSpec[];
  private readonly procs = new Map<string, Proc>();
  private readonly options: LocalClusterOptions;
  private prepared: Promise<Prepared> | undefined;

  constructor(options: LocalClusterOptions) {
    if (!Number.isSafeInteger(options.size) || options.size < 1 || options.size > 9) throw new Error(`cluster size must be 1..9, got ${options.size}`);
    this.options = options;
    this.members = Array.from({ length: options.size }, (_, i) => this.specFor(i));
  }

  /** Whether members run with mutual TLS (https:// URLs). */
  get tls(): boolean {
    return this.options.tls === true;
  }

  /**
   * The token and (with `tls`) the certificates of every member spec so far; once per cluster, and
   * again after addSpec. Resolves the token even without TLS, so callers can print it.
   */
  prepare(): Promise<Prepared> {
    const names = this.members.map((m) => m.name);
    const p = (this.prepared ??= this.doPrepare(names));
    return p.then((r) => (names.every((n) => r.memberTls.has(n)) || !this.tls ? r : (this.prepared = this.doPrepare(names))));
  }

  private async doPrepare(names: readonly string[]): Promise<Prepared> {
    const token = await ensureClusterToken(this.options.dataDir, this.options.clusterToken, names);
    if (!this.tls) return { token, memberTls: new Map() };
    const pki = await ensureKvClusterPki(join(this.options.dataDir, 'pki'), names);
    const admin = pki.clients.get(ADMIN_CLIENT) as { certFile: string; keyFile: string };
    const memberTls = new Map<string, readonly string[]>();
    for (const [name, f] of pki.members) {
      memberTls.set(name, [
        '--cert-file', f.server.certFile, '--key-file', f.server.keyFile, '--trusted-ca-file', pki.caFile,
        '--peer-cert-file', f.peer.certFile, '--peer-key-file', f.peer.keyFile, '--peer-trusted-ca-file', pki.caFile,
      ]);
    }
    return { token, memberTls, client: { caFile: pki.caFile, certFile: admin.certFile, keyFile: admin.keyFile }, issued: pki.issued };
  }

  /** The files a client needs (`--cacert/--cert/--key`), with `tls`; undefined without. */
  async clientTlsFiles(): Promise<ClientTlsFiles | undefined> {
    return (await this.prepare()).client;
  }

  /** The PEM contents of clientTlsFiles(), as KvClient's `tls` option takes them. */
  async clientTls(): Promise<{ ca: Buffer; cert: Buffer; key: Buffer } | undefined> {
    const f = await this.clientTlsFiles();
    if (f === undefined) return undefined;
    return { ca: await readFile(f.caFile), cert: await readFile(f.certFile), key: await readFile(f.keyFile) };
  }

  private specFor(i: number, ports?: MemberPorts): LocalMemberSpec {
    const host = this.options.host ?? '127.0.0.1';
    const base = this.options.clientPortBase ?? 2379;
    const stride = this.options.portStride ?? 10_000;
    const p = ports ?? this.options.ports?.[i] ?? { client: base + i * stride, peer: base + i * stride + 1 };
    const scheme = this.tls ? 'https' : 'http';
    return { name: `m${i + 1}`, clientUrl: `${scheme}://${host}:${p.client}`, peerUrl: `${scheme}://${host}:${p.peer}`, dataDir: join(this.options.dataDir, `m${i + 1}`) };
  }

  endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  initialCluster(members: readonly LocalMemberSpec[] = this.members): string {
    return members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  }

  async startAll(): Promise<void> {
    await Promise.all(this.members.map((m) => this.start(m.name)));
  }

  /** Start (or restart) one member; resolves when it prints its ready line. */
  async start(name: string, state: 'new' | 'existing' = 'new', initialCluster = this.initialCluster()): Promise<void> {
    const m = this.spec(name);
    if (this.procs.has(name)) throw new Error(`member ${name} is already running`);
    const prepared = await this.prepare();
    await mkdir(m.dataDir, { recursive: true });
    const compiled = this.options.build === 'compiled';
    if (compiled && !existsSync(CLI_MAIN_COMPILED)) throw new Error(`members should run the compiled build, but ${CLI_MAIN_COMPILED} is missing: run \`pnpm build\` first`);
    const args = [
      ...(compiled ? [] : NODE_ARGS),
      ...(this.options.nodeArgs ?? []),
      compiled ? CLI_MAIN_COMPILED : CLI_MAIN,
      'kv',
      'member',
      'run',
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-peer-url', m.peerUrl,
      '--listen-client-url', m.clientUrl,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', state,
      '--initial-cluster-token', prepared.token,
      ...(prepared.memberTls.get(name) ?? []),
      '--exit-with-parent',
      ...(this.options.tickMs !== undefined ? ['--tick-ms', String(this.options.tickMs)] : []),
      ...(this.options.electionTicks !== undefined ? ['--election-ticks', String(this.options.electionTicks)] : []),
      ...(this.options.snapshotCount !== undefined ? ['--snapshot-count', String(this.options.snapshotCount)] : []),
      ...(this.options.extraArgs ?? []),
    ];
    const stdio = this.options.stdio ?? 'pipe';
    if (stdio === 'file') {
      await this.startLogged(name, args);
      return;
    }
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', stdio === 'inherit' ? 'inherit' : 'pipe'] });
    const log: string[] = [];
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    this.procs.set(name, { child, exited, log });
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.length === 0) continue;
        log.push(line);
        if (log.length > MEMBER_LOG_LINES_MAX) log.shift();
        if (stdio === 'inherit') process.stdout.write(`[${name}] ${line}\n`);
      }
    };
    child.stderr?.on('data', keep);
    await new Promise<void>((res, rej) => {
      let buf = '';
      const onData = (chunk: Buffer): void => {
        keep(chunk);
        buf += chunk.toString('utf8');
        if (buf.includes(`member ${name} ready:`)) {
          child.stdout?.off('data', onData);
          child.stdout?.on('data', keep);
          res();
        }
      };
      child.stdout?.on('data', onData);
      const timeoutMs = this.options.readyTimeoutMs ?? READY_TIMEOUT_MS_DEFAULT;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        rej(new Error(`member ${name} was not ready within ${timeoutMs} ms:\n${log.slice(-20).join('\n')}`));
      }, timeoutMs);
      void exited.then((code) => {
        clearTimeout(timer);
        rej(new Error(`member ${name} exited with ${code} before it was ready:\n${log.slice(-20).join('\n')}`));
      });
      child.stdout?.on('data', () => {
        if (buf.includes(`member ${name} ready:`)) clearTimeout(timer);
      });
    });
    void exited.then(() => {
      if (this.procs.get(name)?.child === child) this.procs.delete(name);
    });
  }

  /** The log file of a member (stdio 'file'). */
  logPath(name: string): string {
    return join(this.spec(name).dataDir, 'member.log');
  }

  /**
   * stdio 'file': the member writes straight into its log file (opened for appending, so a restart adds
   * to it), and its ready line is read back from there. Nothing of its output passes through this process.
   */
  private async startLogged(name: string, args: readonly string[]): Promise<void> {
    const path = this.logPath(name);
    const offset = await stat(path).then((s) => s.size, () => 0);
    const fd = openSync(path, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, args, { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res((exitCode = code))));
    this.procs.set(name, { child, exited, log: [] });
    void exited.then(() => {
      if (this.procs.get(name)?.child === child) this.procs.delete(name);
    });
    const timeoutMs = this.options.readyTimeoutMs ?? READY_TIMEOUT_MS_DEFAULT;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const text = await readFrom(path, offset);
      if (text.includes(`member ${name} ready:`)) return;
      if (exitCode !== undefined) throw new Error(`member ${name} exited with ${exitCode} before it was ready (log: ${path}):\n${lastLines(text, 20)}`);
      if (performance.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`member ${name} was not ready within ${timeoutMs} ms (log: ${path}):\n${lastLines(text, 20)}`);
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  }

  /** Add a member spec (for `member add`); its ports continue the numbering unless given. */
  addSpec(ports?: MemberPorts): LocalMemberSpec {
    const spec = this.specFor(this.members.length, ports);
    this.members.push(spec);
    return spec;
  }

  isRunning(name: string): boolean {
    return this.procs.has(name);
  }

  pid(name: string): number | undefined {
    return this.procs.get(name)?.child.pid;
  }

  /** The member's last lines of output: kept in memory with stdio 'pipe'; see `logPath()` for 'file'. */
  logs(name: string): readonly string[] {
    return this.procs.get(name)?.log ?? [];
  }

  /** Send a signal to a member we started. SIGKILL and SIGTERM wait for the exit. */
  async signal(name: string, sig: NodeJS.Signals): Promise<void> {
    const p = this.procs.get(name);
    if (p === undefined || p.child.pid === undefined) throw new Error(`member ${name} is not running`);
    process.kill(p.child.pid, sig);
    if (sig === 'SIGKILL' || sig === 'SIGTERM' || sig === 'SIGINT') {
      await p.exited;
      this.procs.delete(name);
    }
  }

  kill(name: string): Promise<void> {
    return this.signal(name, 'SIGKILL');
  }

  pause(name: string): Promise<void> {
    return this.signal(name, 'SIGSTOP');
  }

  resume(name: string): Promise<void> {
    return this.signal(name, 'SIGCONT');
  }

  /** Stop every member we started: SIGCONT first (a paused process cannot exit), then SIGTERM, then SIGKILL. */
  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all(
      [...this.procs.entries()].map(async ([name, p]) => {
        const pid = p.child.pid;
        if (pid === undefined) return;
        try {
          process.kill(pid, 'SIGCONT');
          process.kill(pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        const timer = setTimeout(() => {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }, graceMs);
        await p.exited;
        clearTimeout(timer);
        this.procs.delete(name);
      }),
    );
  }

  private spec(name: string): LocalMemberSpec {
    const m = this.members.find((x) => x.name === name);
    if (m === undefined) throw new Error(`no member ${name}`);
    return m;
  }
}

/** The file's text from byte `offset` on (at most LOG_TAIL_BYTES of it, the newest). */
async function readFrom(path: string, offset: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const start = Math.max(offset, size - LOG_TAIL_BYTES);
    const buf = Buffer.alloc(Math.max(0, size - start));
    await handle.read(buf, 0, buf.length, start);
    return buf.toString('utf8');
  } finally {
    await handle.close();
  }
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
