// `halyard up` and `halyard chaos`: flags, validation, signals and exit codes. Definitions only: each
// action imports what it runs, so defining the commands loads nothing heavy.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { CHAOS_DEFAULTS, UP_DEFAULTS } from './defaults.ts';
import { durationArg } from './duration.ts';
import { errorMessage, isUpError } from './errors.ts';
import type { ClusterShape, Topology } from './plan.ts';
import type { LoadBalancerChoice } from './lb/index.ts';

const DATA_DIR_DEFAULT = UP_DEFAULTS.dataDir;

function intArg(flag: string, min: number, max: number): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${flag} must be an integer`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${flag} must be in ${min}..${max}`);
    return n;
  };
}

interface UpFlags {
  data: string;
  topology: Topology;
  kv: string;
  apiservers: number;
  controllerReplicas: number;
  port: number;
  dashboardPort: number;
  loadBalancer: LoadBalancerChoice;
  leaseDuration: number;
  renewDeadline: number;
  retryPeriod: number;
  workInterval: number;
  kvTickMs: number;
  readyTimeout: number;
  insecure: boolean;
}

/** A repeated signal within this long of the first is the same Ctrl-C (relayed by pnpm/tsx too), not a second one. */
const SIGNAL_ECHO_MS = 2_000;

/** Stops on the first SIGINT/SIGTERM; a second one (not an echo of the first) exits at once. */
function stopSignal(): AbortSignal {
  const ac = new AbortController();
  let firstAtMs = 0;
  const on = (): void => {
    if (!ac.signal.aborted) {
      firstAtMs = performance.now();
      ac.abort();
    } else if (performance.now() - firstAtMs > SIGNAL_ECHO_MS) process.exit(130);
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return ac.signal;
}

function fail(e: unknown): never {
  process.stderr.write(`halyard: ${isUpError(e) ? `${e.code}: ` : ''}${errorMessage(e)}\n`);
  process.exit((isUpError(e) && e.code === 'InvalidOptions') || e instanceof InvalidArgumentError ? 2 : 1);
}

function defineUp(program: Command): void {
  program
    .command('up')
    // `start` is what the README's `pnpm start` and users reach for first: the whole control plane.
    .alias('start')
    .description('run the local HA control plane: KV members, apiservers behind a load balancer, elected controllers, a live dashboard; Ctrl-C stops it, running it again resumes it')
    .option('--data <dir>', 'folder of the cluster (state, KV data, logs, kubeconfig)', DATA_DIR_DEFAULT)
    .addOption(new Option('--topology <topology>', 'stacked: a KV member on each control-plane node; external: KV members on nodes of their own').choices(['stacked', 'external']).default('stacked'))
    .addOption(new Option('--kv <members>', 'KV members').choices(['1', '3', '5']).default('3'))
    .option('--apiservers <n>', 'apiserver replicas (all active)', intArg('--apiservers', 1, 9), 2)
    .option('--controller-replicas <n>', 'replicas of each controller (one active; 0 = none)', intArg('--controller-replicas', 0, 5), 2)
    .option('--port <port>', 'load balancer port on 127.0.0.1 (0 = any free one)', intArg('--port', 0, 65_535), UP_DEFAULTS.loadBalancerPort)
    .option('--dashboard-port <port>', 'dashboard port on 127.0.0.1 (0 = any free one)', intArg('--dashboard-port', 0, 65_535), UP_DEFAULTS.dashboardPort)
    .addOption(new Option('--load-balancer <kind>', 'auto: HAProxy when installed, else built in').choices(['auto', 'haproxy', 'builtin']).default('auto'))
    .option('--lease-duration <d>', 'controllers: how long a lease lasts unrenewed (whole seconds)', durationArg('--lease-duration', 1_000, 3_600_000), UP_DEFAULTS.election.leaseDurationMs)
    .option('--renew-deadline <d>', 'controllers: the leader steps down if it cannot renew for this long', durationArg('--renew-deadline', 1, 3_600_000), UP_DEFAULTS.election.renewDeadlineMs)
    .option('--retry-period <d>', 'controllers: period of acquire and renew attempts', durationArg('--retry-period', 1, 3_600_000), UP_DEFAULTS.election.retryPeriodMs)
    .option('--work-interval <d>', 'controllers: period of the active replica\'s fenced write', durationArg('--work-interval', 10, 3_600_000), UP_DEFAULTS.workIntervalMs)
    .option('--kv-tick-ms <ms>', 'Raft tick of the KV members', intArg('--kv-tick-ms', 1, 10_000), UP_DEFAULTS.kvTickMs)
    .option('--insecure', 'run the KV store in plain text instead of mutual TLS with certificates under <data>/pki/kv (not recommended)', false)
    .option('--ready-timeout <d>', 'how long start-up may take', durationArg('--ready-timeout', 1_000, 3_600_000), UP_DEFAULTS.readyTimeoutMs)
    .action(async (f: UpFlags, cmd: Command) => {
      const explicit = (name: string): boolean => cmd.getOptionValueSource(name) === 'cli';
      const shape: ClusterShape = { topology: f.topology, kvMembers: Number(f.kv), apiservers: f.apiservers, controllerReplicas: f.controllerReplicas };
      const explicitShape: Partial<ClusterShape> = {
        ...(explicit('topology') ? { topology: shape.topology } : {}),
        ...(explicit('kv') ? { kvMembers: shape.kvMembers } : {}),
        ...(explicit('apiservers') ? { apiservers: shape.apiservers } : {}),
        ...(explicit('controllerReplicas') ? { controllerReplicas: shape.controllerReplicas } : {}),
      };
      if (f.renewDeadline >= f.leaseDuration) fail(new InvalidArgumentError('--renew-deadline must be shorter than --lease-duration'));
      if (f.leaseDuration % 1_000 !== 0) fail(new InvalidArgumentError('--lease-duration must be whole seconds (a Lease carries leaseDurationSeconds)'));
      try {
        const { runUp } = await import('./up.ts');
        await runUp(
          {
            dataDir: f.data,
            shape,
            explicitShape,
            loadBalancerPort: f.port,
            dashboardPort: f.dashboardPort,
            loadBalancer: f.loadBalancer,
            election: { leaseDurationMs: f.leaseDuration, renewDeadlineMs: f.renewDeadline, retryPeriodMs: f.retryPeriod },
            workIntervalMs: f.workInterval,
            kvTickMs: f.kvTickMs,
            readyTimeoutMs: f.readyTimeout,
            insecure: f.insecure,
            out: (line) => process.stdout.write(`${line}\n`),
          },
          stopSignal(),
        );
      } catch (e) {
        fail(e);
      }
      process.exit(0);
    });
}

interface ChaosFlags {
  data: string;
  duration: number;
  seed?: number;
  writers: number;
  faultInterval: number;
  downMin: number;
  downMax: number;
  json: boolean;
}

function defineChaos(program: Command): void {
  program
    .command('chaos')
    .description('against a running `halyard up`: kill and restart KV members, apiservers, controller replicas and nodes at random under a write load; report lost writes, double leaders, availability')
    .option('--data <dir>', 'folder of the running cluster', DATA_DIR_DEFAULT)
    .option('--duration <d>', 'how long faults go on', durationArg('--duration', 1_000, 24 * 3_600_000), CHAOS_DEFAULTS.durationMs)
    .option('--seed <n>', 'seed of the fault choices (default random)', intArg('--seed', 0, 2 ** 31 - 1))
    .option('--writers <n>', 'concurrent writers', intArg('--writers', 1, 64), CHAOS_DEFAULTS.writers)
    .option('--fault-interval <d>', 'mean pause between faults', durationArg('--fault-interval', 100, 3_600_000), CHAOS_DEFAULTS.faultIntervalMs)
    .option('--down-min <d>', 'shortest time a killed target stays down', durationArg('--down-min', 0, 3_600_000), CHAOS_DEFAULTS.downMinMs)
    .option('--down-max <d>', 'longest time a killed target stays down', durationArg('--down-max', 0, 3_600_000), CHAOS_DEFAULTS.downMaxMs)
    .option('--json', 'print the report as JSON', false)
    .action(async (f: ChaosFlags) => {
      if (f.downMin > f.downMax) fail(new InvalidArgumentError('--down-min must not exceed --down-max'));
      try {
        const { formatReport, runChaos } = await import('./chaos/run.ts');
        const report = await runChaos({
          dataDir: f.data,
          durationMs: f.duration,
          seed: f.seed ?? Math.floor(Math.random() * 2 ** 31),
          writers: f.writers,
          faultIntervalMs: f.faultInterval,
          downMinMs: f.downMin,
          downMaxMs: f.downMax,
          settleTimeoutMs: CHAOS_DEFAULTS.settleTimeoutMs,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        process.stdout.write(`${f.json ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
        process.exit(report.ok ? 0 : 1);
      } catch (e) {
        fail(e);
      }
    });
}

/** Adds `up` and `chaos` to the `halyard` program. */
export function defineUpCommands(program: Command): void {
  defineUp(program);
  defineChaos(program);
}
