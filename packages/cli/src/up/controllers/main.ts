#!/usr/bin/env node
// A controller replica as its own process (what `halyard up` starts, two per kind): flags, the status
// port, the election and the fenced writes; SIGTERM/SIGINT stop it after a release of the lease.
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { errorMessage } from '../errors.ts';
import { KubeClient } from '../kube/kube-client.ts';
import { ControllerReplica } from './replica.ts';
import { serveStatus } from './status-server.ts';
import { API_TOKEN_ENV } from './token-env.ts';

function positive(flag: string): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v) || Number(v) <= 0) throw new InvalidArgumentError(`${flag} must be a positive integer`);
    return Number(v);
  };
}

interface Flags {
  controller: string;
  identity: string;
  server: string;
  statusPort: number;
  caFile?: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  workIntervalMs: number;
}

const program = new Command()
  .name('halyard-controller')
  .description('an example controller replica: elects through a Lease, fenced writes while active')
  .requiredOption('--controller <kind>', 'controller kind (the Lease and fence names derive from it)')
  .requiredOption('--identity <id>', 'this replica\'s identity in the election')
  .requiredOption('--server <url>', 'apiserver (load balancer) URL')
  .requiredOption('--status-port <port>', 'status port on 127.0.0.1', positive('--status-port'))
  .option('--ca-file <file>', 'CA of the apiservers\' certificates (https)')
  .option('--lease-duration-ms <ms>', 'lease duration', positive('--lease-duration-ms'), 15_000)
  .option('--renew-deadline-ms <ms>', 'renew deadline', positive('--renew-deadline-ms'), 10_000)
  .option('--retry-period-ms <ms>', 'retry period', positive('--retry-period-ms'), 2_000)
  .option('--work-interval-ms <ms>', 'period of the fenced write while active', positive('--work-interval-ms'), 1_000)
  .action(async (f: Flags) => {
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(f.controller)) throw new InvalidArgumentError('--controller must be a DNS label');
    const token = process.env[API_TOKEN_ENV];
    if (token === undefined || token === '') throw new InvalidArgumentError(`the bearer token must be in $${API_TOKEN_ENV}`);
    const log = (level: string, m: string): void => void process.stdout.write(`${new Date().toISOString()} ${level} ${m}\n`);
    const logger = { info: (m: string) => log('info', m), warn: (m: string) => log('warn', m) };
    const caPem = f.caFile !== undefined ? await readFile(f.caFile, 'utf8') : undefined;
    const kube = new KubeClient({ server: f.server, token, ...(caPem !== undefined ? { caPem } : {}) });
    const replica = new ControllerReplica({ controller: f.controller, identity: f.identity, server: f.server, token, kube, leaseDurationMs: f.leaseDurationMs, renewDeadlineMs: f.renewDeadlineMs, retryPeriodMs: f.retryPeriodMs, workIntervalMs: f.workIntervalMs, logger });
    const status = await serveStatus(f.statusPort, replica.status);
    logger.info(`${f.identity}: ${f.controller} replica up (status on 127.0.0.1:${f.statusPort}), campaigning for its lease`);
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    process.once('SIGTERM', () => ac.abort());
    await replica.run(ac.signal);
    status.close();
    logger.info(`${f.identity}: stopped`);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`halyard-controller: ${errorMessage(e)}\n`);
  process.exitCode = e instanceof InvalidArgumentError ? 2 : 1;
});
