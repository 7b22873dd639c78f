// `halyard kv member`: run one KV member in this process until SIGINT/SIGTERM (etcd-style flags).
import { type Command, InvalidArgumentError, Option } from 'commander';
import { consoleLogger } from '@halyard/kv/transport';
import { ConfigError, MEMBER_DEFAULTS, idToHex, parseInitialCluster, startMember, type TlsFiles } from '@halyard/kv/server';
import { hexIdArg } from './kv-flags.ts';

export function positiveInt(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive integer`);
    return n;
  };
}

interface TlsFlags {
  certFile?: string;
  keyFile?: string;
  trustedCaFile?: string;
  peerCertFile?: string;
  peerKeyFile?: string;
  peerTrustedCaFile?: string;
}

function tlsFiles(cert: string | undefined, key: string | undefined, ca: string | undefined, prefix: string): TlsFiles | undefined {
  if (cert === undefined && key === undefined && ca === undefined) return undefined;
  if (cert === undefined || key === undefined) throw new InvalidArgumentError(`${prefix}cert-file and ${prefix}key-file go together`);
  return { certFile: cert, keyFile: key, ...(ca !== undefined ? { trustedCaFile: ca } : {}) };
}

function tlsConfig(o: TlsFlags): { clientTls?: TlsFiles; peerTls?: TlsFiles } {
  const clientTls = tlsFiles(o.certFile, o.keyFile, o.trustedCaFile, '--');
  const peerTls = tlsFiles(o.peerCertFile, o.peerKeyFile, o.peerTrustedCaFile, '--peer-');
  return { ...(clientTls !== undefined ? { clientTls } : {}), ...(peerTls !== undefined ? { peerTls } : {}) };
}

export function registerMemberCommand(kv: Command): void {
  kv.command('member')
    .description('run one KV member (a Raft peer with LevelDB storage and a client port)')
    .requiredOption('--name <name>', 'member name, unique in the cluster')
    .requiredOption('--data-dir <dir>', 'where the Raft log, hard state and snapshots live')
    .requiredOption('--listen-peer-url <url>', 'peer URL, e.g. http://127.0.0.1:2380 (also advertised)')
    .requiredOption('--listen-client-url <url>', 'client URL, e.g. http://127.0.0.1:2379 (also advertised)')
    .requiredOption('--initial-cluster <list>', 'name=peerURL,… for every member of the initial cluster')
    .addOption(new Option('--initial-cluster-state <state>', 'new to bootstrap, existing to join').choices(['new', 'existing']).default('new'))
    .option('--initial-cluster-token <token>', 'distinguishes clusters; the cluster id derives from it', MEMBER_DEFAULTS.clusterToken)
    .option('--member-id <hex>', 'the id `member add` printed, when it differs from the derived one (a re-added member); pass it on every start', hexIdArg('--member-id'))
    .option('--tick-ms <ms>', 'real time per Raft tick', positiveInt('--tick-ms'), MEMBER_DEFAULTS.tickMs)
    .option('--election-ticks <n>', 'election timeout in ticks', positiveInt('--election-ticks'), MEMBER_DEFAULTS.electionTicks)
    .option('--snapshot-count <n>', 'applied entries between snapshots', positiveInt('--snapshot-count'), MEMBER_DEFAULTS.snapshotCount)
    .option('--max-request-bytes <n>', 'largest client frame accepted', positiveInt('--max-request-bytes'), MEMBER_DEFAULTS.requestSizeBytesMax)
    .option('--auto-compaction-retention <revisions>', 'compact to (revision − N) every 5 minutes; 0 = off', (v: string) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('--auto-compaction-retention must be a non-negative integer');
      return n;
    }, 0)
    .option('--cert-file <path>', 'client port TLS certificate (PEM); needs an https client URL')
    .option('--key-file <path>', 'client port TLS key (PEM)')
    .option('--trusted-ca-file <path>', 'CA for client certificates: clients must present one (mutual TLS)')
    .option('--peer-cert-file <path>', 'peer port TLS certificate (PEM); needs https peer URLs')
    .option('--peer-key-file <path>', 'peer port TLS key (PEM)')
    .option('--peer-trusted-ca-file <path>', 'CA for peer certificates (mutual TLS between peers)')
    .option('--unsafe-fault-injection', 'serve POST /debug/faults for fault tests (never in production)', false)
    .addOption(new Option('--exit-with-parent', 'stop when the process that started this member dies (local clusters)').default(false).hideHelp())
    .addOption(new Option('--unsafe-bug-stale-reads', 'PLANTED BUG: serve linearizable reads without ReadIndex (to test the checkers)').default(false).hideHelp())
    .action(async (o: { name: string; dataDir: string; listenPeerUrl: string; listenClientUrl: string; initialCluster: string; initialClusterState: 'new' | 'existing'; initialClusterToken: string; memberId?: number; tickMs: number; electionTicks: number; snapshotCount: number; maxRequestBytes: number; unsafeFaultInjection: boolean; unsafeBugStaleReads: boolean; autoCompactionRetention: number; exitWithParent: boolean } & TlsFlags) => {
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
            requestSizeBytesMax: o.maxRequestBytes,
            unsafeFaultInjection: o.unsafeFaultInjection,
            unsafeBugStaleReads: o.unsafeBugStaleReads,
            autoCompactionRetentionRevisions: o.autoCompactionRetention,
            ...tlsConfig(o),
          },
          consoleLogger,
        );
      } catch (e) {
        if (e instanceof ConfigError) throw new Error(e.message);
        throw e;
      }
      const { member } = running;
      // One line tests and `cluster up` wait for; keep its shape stable.
      process.stdout.write(`member ${o.name} ready: id=${idToHex(member.ids.memberId)} cluster=${idToHex(member.ids.clusterId)} client=${o.listenClientUrl} peer=${o.listenPeerUrl}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        // Removed from the cluster, or a fatal error: the member stopped by itself.
        void running.stopped.then(stop);
        if (o.exitWithParent) {
          // A local cluster's members must not outlive the process that started them (a killed test
          // runner, a crashed `cluster up`): when the parent goes, the process is re-parented.
          const parent = process.ppid;
          const watch = setInterval(() => {
            if (process.ppid !== parent) {
              clearInterval(watch);
              stop();
            }
          }, 1_000);
          watch.unref();
          void running.stopped.then(() => clearInterval(watch));
        }
      });
      await running.stop();
      if (member.fatalError() !== undefined) process.exitCode = 2;
    });
}
