// `halyard kv member run`: one KV member in this process until SIGINT/SIGTERM (flags defined in
// kv-member-commands.ts). The only command that loads the server (LevelDB, prom-client, the transport).
import { consoleLogger } from '@halyard/kv/transport';
import { ConfigError, parseInitialCluster, startMember, type TlsFiles } from '@halyard/kv/server';
import { idHex, UsageError } from './kv-flags.ts';

export interface TlsFlags {
  certFile?: string;
  keyFile?: string;
  trustedCaFile?: string;
  peerCertFile?: string;
  peerKeyFile?: string;
  peerTrustedCaFile?: string;
}

export interface MemberRunFlags extends TlsFlags {
  name: string;
  dataDir: string;
  listenPeerUrl: string;
  listenClientUrl: string;
  initialCluster: string;
  initialClusterState: 'new' | 'existing';
  initialClusterToken: string;
  memberId?: number;
  tickMs: number;
  electionTicks: number;
  snapshotCount: number;
  catchUpEntries: number;
  maxRequestBytes: number;
  unsafeFaultInjection: boolean;
  unsafeBugStaleReads: boolean;
  autoCompactionRetention: number;
  mvccBackend: 'leveldb' | 'memory';
  exitWithParent: boolean;
}

function tlsFiles(cert: string | undefined, key: string | undefined, ca: string | undefined, prefix: string): TlsFiles | undefined {
  if (cert === undefined && key === undefined && ca === undefined) return undefined;
  if (cert === undefined || key === undefined) throw new UsageError(`${prefix}cert-file and ${prefix}key-file go together`);
  return { certFile: cert, keyFile: key, ...(ca !== undefined ? { trustedCaFile: ca } : {}) };
}

function tlsConfig(o: TlsFlags): { clientTls?: TlsFiles; peerTls?: TlsFiles } {
  const clientTls = tlsFiles(o.certFile, o.keyFile, o.trustedCaFile, '--');
  const peerTls = tlsFiles(o.peerCertFile, o.peerKeyFile, o.peerTrustedCaFile, '--peer-');
  return { ...(clientTls !== undefined ? { clientTls } : {}), ...(peerTls !== undefined ? { peerTls } : {}) };
}

/** How often a member started with --exit-with-parent checks that its parent still runs. */
export const PARENT_CHECK_INTERVAL_MS = 500;

export async function runMember(o: MemberRunFlags): Promise<void> {
  // performance.now() counts from the process's start: what loading the program cost, then opening the data.
  const loadedMs = performance.now();
  let running;
  try {
    running = await startMember(
      {
        name: o.name,
        dataDir: o.dataDir,
        peerUrl: o.listenPeerUrl,
        clientUrl: o.listenClientUrl,
        initialCluster: parseInitialCluster(o.initialCluster),
        initialClusterState: o.initialClusterState,
        clusterToken: o.initialClusterToken,
        ...(o.memberId !== undefined ? { memberId: o.memberId } : {}),
        tickMs: o.tickMs,
        electionTicks: o.electionTicks,
        snapshotCount: o.snapshotCount,
        catchUpEntries: o.catchUpEntries,
        requestSizeBytesMax: o.maxRequestBytes,
        unsafeFaultInjection: o.unsafeFaultInjection,
        unsafeBugStaleReads: o.unsafeBugStaleReads,
        autoCompactionRetentionRevisions: o.autoCompactionRetention,
        mvccBackend: o.mvccBackend,
        ...tlsConfig(o),
      },
      consoleLogger,
    );
  } catch (e) {
    // A flag that makes no sense is a usage error (exit 2); a port in use, a bad disk, a failure (exit 1).
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  const { member } = running;
  // etcd logs how long recovering its store took; this is the same figure, read by `pnpm bench` after a restart.
  process.stdout.write(`member ${o.name} startup: ${loadedMs.toFixed(0)} ms loading the program, ${(performance.now() - loadedMs).toFixed(0)} ms opening its data and starting\n`);
  // One line tests and `cluster up` wait for; keep its shape stable.
  process.stdout.write(`member ${o.name} ready: id=${idHex(member.ids.memberId)} cluster=${idHex(member.ids.clusterId)} client=${o.listenClientUrl} peer=${o.listenPeerUrl}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', stop);
    // Removed from the cluster, or a fatal error: the member stopped by itself.
    void running.stopped.then(stop);
    if (o.exitWithParent) {
      // A local cluster's members must not outlive the process that started them (a killed test runner,
      // a crashed `cluster up`): when the parent goes, this process is re-parented.
      const parent = process.ppid;
      const watch = setInterval(() => {
        if (process.ppid !== parent) {
          clearInterval(watch);
          stop();
        }
      }, PARENT_CHECK_INTERVAL_MS);
      watch.unref();
      void running.stopped.then(() => clearInterval(watch));
    }
  });
  await running.stop();
  const fatal = member.fatalError();
  if (fatal !== undefined) throw new Error(`the member stopped on a fatal error: ${fatal instanceof Error ? fatal.message : String(fatal)}`);
}
